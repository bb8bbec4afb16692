package readme_test

import (
	"reflect"
	"testing"

	"github.com/openinventory/assets/internal/readme"
)

func TestShellBlocksAndResults(t *testing.T) {
	t.Parallel()
	md := "# t\n```console\nmake run\n```\n```sh\nA=1\ncurl -s x | jq .\n```\ntext\n```json\n{}\n```\n  ```sh\nB=$(curl -s y)\n  ```\n"
	blocks := readme.ShellBlocks(md)
	want := []readme.Block{
		{Number: 1, Line: 5, Code: "A=1\ncurl -s x | jq .\n"},
		{Number: 2, Line: 13, Code: "B=$(curl -s y)\n"},
	}
	if !reflect.DeepEqual(blocks, want) {
		t.Fatalf("ShellBlocks = %#v, want %#v", blocks, want)
	}
	if n := blocks[0].Requests(); n != 1 {
		t.Errorf("Requests = %d, want 1", n)
	}
	if n := (readme.Block{Code: "echo curly\n"}).Requests(); n != 0 {
		t.Errorf("Requests of no curl = %d, want 0", n)
	}
	stderr := "readme: block 1 start\nreadme: status 200 GET http://h/a\nnoise\nreadme: block 1 ok\n" +
		"readme: block 2 start\nreadme: status 404 PATCH http://h/b\n"
	got := readme.Results(stderr)
	if len(got) != 1 || !reflect.DeepEqual(got[1].Statuses, []readme.Status{{200, "GET", "http://h/a"}}) {
		t.Fatalf("Results = %#v", got)
	}
}
