package cluster

// Crash drops the connection as a dying hub would: no release of names,
// no goodbye.
func (c *Cluster) Crash() {
	if c.closed.Swap(true) {
		return
	}
	close(c.quit)
	if c.feed != nil {
		c.feed.stop()
	}
	c.wg.Wait()
	c.nc.Close()
}
