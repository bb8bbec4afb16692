package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-fuego/fuego"

	"github.com/openinventory/assets/store"
)

// begin authorizes a request for action and then reports a bad version
// (resolved once, by the outer middleware), so an unauthenticated caller
// learns nothing else first.
func (s *Server) begin(r *http.Request, action store.Action) (access, error) {
	acc, err := s.authorize(r.Context(), r, action)
	if err != nil {
		return access{}, err
	}
	s.tokenVerified(r)
	rs := stateOf(r.Context())
	if rs.versionErr != nil {
		return access{}, rs.versionErr
	}
	acc.version = rs.version
	acc.base = publicBaseOf(r.Context())
	return acc, nil
}

// readBody reads a request body of an allowed media type, within the size
// limit. No body at all (and so no Content-Type) is a 400, as the contract
// documents; a body of another media type stays a 415.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ctErr := checkContentType(r)
	if ctErr != nil && r.Header.Get("Content-Type") != "" {
		return nil, ctErr
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err == nil && ctErr != nil {
		if len(body) == 0 {
			return nil, badPointer("/data", "The request needs a JSON:API document as its body (Content-Type application/vnd.api+json).")
		}
		return nil, ctErr
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The request body is larger than " + strconv.FormatInt(s.cfg.MaxBodyBytes, 10) + " bytes."}
	}
	if err != nil {
		return nil, badRequest("The request body could not be read.")
	}
	return body, nil
}

// assetSelf is the self link of an asset in the scope and version of acc.
func assetSelf(acc access, id string) string {
	return scopeURL(acc) + "/inventory/assets/" + id + "?version=" + acc.version.served
}

// getAsset answers GET .../inventory/assets/{asset_id} from PostgreSQL, so
// it always shows the latest write.
func (s *Server) getAsset(c fuego.ContextNoBody) (*AssetDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Read)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "asset_id")
	if err != nil {
		return nil, err
	}
	fields, err := parseFields(r, assetFields())
	if err != nil {
		return nil, err
	}
	a, err := store.GetAssetInScope(r.Context(), s.pool, acc.scope, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The asset was not found.")
	}
	if err != nil {
		return nil, err
	}
	self := assetSelf(acc, id)
	return &AssetDocument{Data: assetResource(a, self, fields), Links: &SelfLinks{Self: self}}, nil
}

// updateAsset answers PATCH .../inventory/assets/{asset_id} with the
// updated asset, read back in the update's transaction.
func (s *Server) updateAsset(c fuego.ContextNoBody) (*AssetDocument, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Edit)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "asset_id")
	if err != nil {
		return nil, err
	}
	body, err := s.readBody(c.Response(), r)
	if err != nil {
		return nil, err
	}
	p, err := parsePatchDocument(body, id)
	if err != nil {
		return nil, err
	}
	assets, err := store.UpdateAssets(r.Context(), s.pool, acc.scope, []store.Patch{p})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The asset was not found.")
	}
	if err != nil {
		return nil, limitError(err, "/data/attributes")
	}
	self := assetSelf(acc, id)
	return &AssetDocument{Data: assetResource(assets[0], self, nil), JSONAPI: &jsonapi10, Links: &SelfLinks{Self: self}}, nil
}

// updateAssets answers the bulk PATCH: every update or none, 204.
func (s *Server) updateAssets(c fuego.ContextNoBody) (any, error) {
	r := c.Request()
	acc, err := s.begin(r, store.Edit)
	if err != nil {
		return nil, err
	}
	body, err := s.readBody(c.Response(), r)
	if err != nil {
		return nil, err
	}
	patches, err := parseBulkDocument(body)
	if err != nil {
		return nil, err
	}
	err = store.ApplyPatches(r.Context(), s.pool, acc.scope, patches)
	var pe *store.PatchError
	switch {
	case errors.As(err, &pe) && errors.Is(err, store.ErrNotFound):
		return nil, &Error{Status: http.StatusNotFound, Detail: "The asset " + pe.ID + " was not found; nothing was updated.", Pointer: ptr(ptr("/data", pe.Index), "id")}
	case errors.As(err, &pe):
		return nil, limitError(err, ptr(ptr("/data", pe.Index), "attributes"))
	case err != nil:
		return nil, err
	}
	// The route's default status is 204, which has no body or type.
	c.Response().Header().Del("Content-Type")
	return nil, nil
}

// limitError turns an update that would exceed the label or tag limits into
// a 400 pointing at the attribute; any other error stays as it is.
func limitError(err error, attributes string) error {
	switch {
	case errors.Is(err, store.ErrTooManyLabels):
		return badPointer(ptr(attributes, "labels"), "The update would leave the asset with more than %d labels; nothing was updated.", store.MaxLabels)
	case errors.Is(err, store.ErrTooManyTags):
		return badPointer(ptr(attributes, "tags"), "The update would leave the asset with more than %d tags; nothing was updated.", store.MaxTags)
	}
	return err
}
