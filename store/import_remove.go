package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	json "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// OpRemove is the import operation that deletes an asset. The line is
// shaped as a JSON:API Atomic Operations "remove" operation:
//
//	{"op":"remove","ref":{"type":"container_images","id":"<uuid>"}}
const OpRemove = "remove"

// Removal is an import line that deletes the asset Ref names. Only
// container images can be removed: the hierarchy outlives its assets.
type Removal struct {
	Type string
	ID   string
}

// resourceRef is the "ref" member of an operation line.
type resourceRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// parseOperation checks an operation line: only a removal of a container
// image, with nothing beside op and ref.
func parseOperation(l importLine) (Record, error) {
	if l.Op != OpRemove {
		return Record{}, fmt.Errorf(`op %q is not supported (want %q)`, l.Op, OpRemove)
	}
	if l.Ref == nil {
		return Record{}, errors.New(`a "remove" line needs "ref": {"type":"container_images","id":...}`)
	}
	if l.Type != "" || l.ID != "" || len(l.Attributes) > 0 {
		return Record{}, errors.New(`a "remove" line holds only "op" and "ref"`)
	}
	if l.Ref.Type != AssetTypeContainerImage && l.Ref.Type != ResourceTypeProjects {
		return Record{}, fmt.Errorf("ref.type %q cannot be removed (only %s or %s)", l.Ref.Type, AssetTypeContainerImage, ResourceTypeProjects)
	}
	if err := checkUUID("ref.id", l.Ref.ID); err != nil {
		return Record{}, err
	}
	return Record{Remove: &Removal{Type: l.Ref.Type, ID: l.Ref.ID}}, nil
}

// writeRemoval writes a removal as an import line.
func writeRemoval(w io.Writer, r *Removal) error {
	b, err := json.Marshal(struct {
		Op  string      `json:"op"`
		Ref resourceRef `json:"ref"`
	}{OpRemove, resourceRef{r.Type, r.ID}})
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ListMissingDefault is how many ids of remove lines that named no asset the
// import summary lists (all are counted).
const ListMissingDefault = 100

// ListMissing makes the summary list at most n ids of remove lines that
// named no asset (0 lists none; all are counted).
func ListMissing(n int) ImportOption {
	return func(o *importOptions) { o.listMissing = max(n, 0) }
}

// removals are the ids of the remove lines, with their lines.
type removals struct {
	ids   []uuid.UUID
	lines []int32
}

func (r *removals) add(id uuid.UUID, line int) {
	r.ids = append(r.ids, id)
	r.lines = append(r.lines, int32(min(line, maxLineRecorded)))
}

// deleteRemoved deletes the removed assets in one statement (the delete
// trigger writes their tombstones) and counts, and lists the first of, the
// ids that named no asset: an asset already gone is not an error.
func deleteRemoved(ctx context.Context, tx pgx.Tx, r removals, listMissing int, sum *ImportSummary) error {
	if len(r.ids) == 0 {
		return nil
	}
	if listMissing > 0 {
		rows, err := tx.Query(ctx, `SELECT r.id::text FROM unnest($1::uuid[], $2::int[]) AS r (id, line)
			WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = r.id) ORDER BY r.line LIMIT $3`,
			r.ids, r.lines, listMissing)
		if err != nil {
			return fmt.Errorf("finding removed ids that name no asset: %w", err)
		}
		if sum.RemoveMissingIDs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("finding removed ids that name no asset: %w", err)
		}
	}
	tag, err := tx.Exec(ctx, `DELETE FROM assets WHERE id = ANY ($1::uuid[])`, r.ids)
	if err != nil {
		return fmt.Errorf("deleting removed assets: %w", err)
	}
	sum.Removed = int(tag.RowsAffected())
	sum.RemoveMissing = len(r.ids) - sum.Removed
	return nil
}
