package irc_test

import (
	"strings"
	"testing"

	"github.com/hubcat/hubcat/irc"
)

// The hub's room moderation through IRC: the first to join is operator;
// topic and +t, voice and +m, kick, bans, keys, invite-only and limits,
// each refusal with its numeric, and an nc user seeing the same room.
func TestModeration(t *testing.T) {
	tn := start(t, irc.Config{})
	op := tn.register("op", "multi-prefix")
	u := tn.register("user")
	op.joinChan("#mod")
	u.send("JOIN #mod")
	u.expect("JOIN", "#mod")
	if m := u.expect("353", "user", "=", "#mod"); !strings.Contains(" "+m.Param(3)+" ", " @op ") {
		t.Fatalf("names %q: op not marked", m.Param(3))
	}
	u.skipUntil("366")
	op.expect("JOIN", "#mod")

	op.send("TOPIC #mod :the rules")
	op.expect("TOPIC", "#mod", "the rules")
	u.expect("TOPIC", "#mod", "the rules")
	op.send("MODE #mod +t")
	op.expect("MODE", "#mod", "+t")
	u.expect("MODE", "#mod", "+t")
	u.send("TOPIC #mod :mine now")
	u.expect("482", "user", "#mod")
	u.send("TOPIC #mod")
	u.expect("332", "user", "#mod", "the rules")
	u.expect("333", "user", "#mod")

	op.send("MODE #mod +m")
	op.expect("MODE", "#mod", "+m")
	u.expect("MODE", "#mod", "+m")
	u.send("PRIVMSG #mod :can I talk")
	u.expect("404", "user", "#mod")
	op.send("MODE #mod +v user")
	op.expect("MODE", "#mod", "+v", "user")
	u.expect("MODE", "#mod", "+v", "user")
	u.send("PRIVMSG #mod :now I can")
	op.expect("PRIVMSG", "#mod", "now I can")

	op.send("MODE #mod")
	if m := op.expect("324", "op", "#mod"); !strings.Contains(m.Param(2), "m") || !strings.Contains(m.Param(2), "t") {
		t.Fatalf("324 %q", m.String())
	}
	op.expect("329", "op", "#mod")
	op.send("MODE #mod +x")
	op.expect("472", "op", "x")

	op.send("MODE #mod +b user!*@*")
	op.expect("MODE", "#mod", "+b", "user!*@*")
	u.expect("MODE", "#mod", "+b", "user!*@*")
	op.send("MODE #mod b")
	op.expect("367", "op", "#mod", "user!*@*")
	op.expect("368", "op", "#mod")
	op.send("KICK #mod user :out")
	op.expect("KICK", "#mod", "user", "out")
	u.expect("KICK", "#mod", "user", "out")
	u.send("JOIN #mod")
	u.expect("474", "user", "#mod")
	op.send("MODE #mod -b user!*@*", "MODE #mod +k sesame")
	op.expect("MODE", "#mod", "-b")
	op.expect("MODE", "#mod", "+k", "sesame")
	u.send("JOIN #mod")
	u.expect("475", "user", "#mod")
	u.send("JOIN #mod sesame")
	u.expect("JOIN", "#mod")
	u.expect("332", "user", "#mod", "the rules")
	u.skipUntil("366")
	u.expect("PRIVMSG", "#mod", "now I can") // the recent history
	u.send("PART #mod")
	u.expect("PART", "#mod")
	op.send("MODE #mod +i")
	op.skipUntil("MODE")
	u.send("JOIN #mod sesame")
	u.expect("473", "user", "#mod")
	op.send("INVITE user #mod")
	op.expect("341", "op", "user", "#mod")
	u.expect("INVITE", "user", "#mod")
	u.send("JOIN #mod sesame")
	u.expect("JOIN", "#mod")
	u.send("KICK #mod op")
	u.skipUntil("482")
}
