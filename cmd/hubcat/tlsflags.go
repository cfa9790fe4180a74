package main

import (
	"crypto/tls"

	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/endpoint"
)

// clientTLSFlags are how every connecting command checks a TLS server.
type clientTLSFlags struct {
	insecure    bool
	fingerprint string
	ca          string
}

func (t *clientTLSFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&t.insecure, "insecure", false, "do not verify the TLS server's certificate")
	fs.StringVar(&t.fingerprint, "fingerprint", "", "trust only the TLS server certificate with this SHA-256 `FINGERPRINT`")
	fs.StringVar(&t.ca, "ca", "", "trust TLS servers signed by the CAs in this PEM `FILE` instead of the system's")
}

// tlsOptions are the flags as endpoint options, for a command to add to.
func (t *clientTLSFlags) tlsOptions() endpoint.ClientOptions {
	return endpoint.ClientOptions{Insecure: t.insecure, Fingerprint: t.fingerprint, CAFile: t.ca}
}

// clientTLS builds a client configuration; bad choices are usage errors.
func clientTLS(o endpoint.ClientOptions) (*tls.Config, error) {
	c, err := endpoint.ClientTLS(o)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	return c, nil
}
