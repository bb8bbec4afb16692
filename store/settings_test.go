package store_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/openinventory/assets/store"
)

// Replicas starting together must end up with one key.
func TestSharedSecretIsGeneratedOnce(t *testing.T) {
	t.Parallel()
	pool := testenvPostgres(t)
	ctx := context.Background()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = store.SharedSecret(ctx, pool, store.SettingCursorKey, 32)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("SharedSecret: %v", errs[i])
		}
		if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("key %d = %x, key 0 = %x", i, keys[i], keys[0])
		}
	}
	other, err := store.SharedSecret(ctx, pool, "another", 32)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, keys[0]) {
		t.Error("two settings share one value")
	}
}
