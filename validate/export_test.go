package validate

// GroupSeqs is how many messages a group's state remembers.
func GroupSeqs(c *Consistency, group string) int {
	if g := c.groups[group]; g != nil {
		return len(g.seqs)
	}
	return 0
}
