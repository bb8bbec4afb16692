package api

import (
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// CompressMinSizeDefault is the smallest response body gzipped: below it
// the gzip header and the CPU cost more than the bytes saved.
const CompressMinSizeDefault = 1400

// compress gzips responses of at least CompressMinSizeDefault bytes for
// clients that send Accept-Encoding: gzip, and passes every other response
// through untouched. zstd is off: the contract speaks of gzip only.
func compress(next http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(CompressMinSizeDefault), gzhttp.EnableZstd(false))
	if err != nil {
		return nil, fmt.Errorf("configuring gzip: %w", err)
	}
	return wrap(next), nil
}
