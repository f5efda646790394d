package simulate

import (
	"time"

	"golang.org/x/time/rate"
)

// NewLimiter paces requests at perSec. The bucket starts empty, so a run
// never starts with a burst, and holds up to 100 ms of tokens, so a timer
// that fires late on a busy machine is caught up rather than lost (a burst
// of 1 lowered the achieved rate by a third under load). simulate and
// replay both pace with it.
func NewLimiter(perSec float64) *rate.Limiter {
	burst := max(1, int(perSec/10))
	lim := rate.NewLimiter(rate.Limit(perSec), burst)
	lim.AllowN(time.Now(), burst)
	return lim
}
