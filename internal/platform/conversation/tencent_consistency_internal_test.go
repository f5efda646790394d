package conversation

import (
	"fmt"
	"testing"
)

func TestConsistencyBoundedGroupState(t *testing.T) {
	c := newTencentConsistency()
	for i := 1; i <= 10000; i++ {
		c.Payload([]byte(fmt.Sprintf(`{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"g","From_Account":"a","MsgSeq":%d,"MsgTime":%d,"EventTime":%d}`, i, i, i*1000)))
	}
	if g := c.groups["g"]; g != nil && len(g.seqs) > maxSeqs {
		t.Errorf("the group remembers %d messages", len(g.seqs))
	}
}
