package capture

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
)

// keepParsedMax is the largest profile, by compressed size, whose decoded
// form a Result keeps for the analysis. A larger one is decoded again by
// the analysis within its own share of the memory budget, rather than
// held, outside any budget, while it is stored.
const keepParsedMax = 256 << 10

// admitParse decides whether the fetch may check data by decoding it now.
// It may when data decompresses within the cap and its cost fits in the
// memory budget at once; done gives the reservation back. Otherwise the
// fetch keeps the raw bytes and leaves the decoding to the analysis, which
// waits for the budget or reports the profile too large. Data that is not
// even valid gzip is admitted, so that the check fails it.
func (f *Fetcher) admitParse(data []byte) (ok bool, done func()) {
	if _, err := format.DecodedSize(data, f.maxDecoded); errors.Is(err, format.ErrTooLarge) {
		return false, nil
	}
	release, ok := f.budget.TryReserve(format.ProfileCost(data, f.maxDecoded))
	return ok, release
}

// keepParsed returns p when the Result may keep it (see keepParsedMax).
func keepParsed(p *profile.Profile, data []byte) *profile.Profile {
	if len(data) > keepParsedMax {
		return nil
	}
	return p
}

// bodyErr classifies a failure while reading a body of which n bytes
// came.
func bodyErr(ctx context.Context, p Profile, n int64, err error) *FetchError {
	if be, ok := errors.AsType[*OverBudgetError](err); ok {
		return fetchErr(p, ReasonTooLarge, fmt.Sprintf("the body was cut after %d bytes: it would not fit in the memory budget (capture.memory_budget_bytes)", n), be)
	}
	fe := classifyTransport(ctx, p, err)
	if n > 0 {
		fe.Detail = fmt.Sprintf("%s after %d bytes of the body", fe.Detail, n)
	}
	return fe
}
