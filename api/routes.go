package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-fuego/fuego"
	"github.com/go-fuego/fuego/option"
	"github.com/go-fuego/fuego/param"
)

// Request bodies, declared for the OpenAPI description. The handlers walk
// the raw JSON themselves (patch.go) to point at the member at fault.

// AssetPatchRequest is the body of PATCH one asset.
type AssetPatchRequest struct {
	Data AssetPatchData `json:"data" validate:"required"`
}

// AssetBulkPatchRequest is the body of the bulk PATCH: 1 to 100 assets.
type AssetBulkPatchRequest struct {
	Data []AssetPatchData `json:"data" validate:"required"`
}

// AssetPatchData is one asset's update.
type AssetPatchData struct {
	Type       string               `json:"type" validate:"required" example:"container_images"`
	ID         string               `json:"id" validate:"required" example:"9b3bcb4f-4b25-4f5e-a4c2-0e8c6b2b8f1d"`
	Attributes AssetPatchAttributes `json:"attributes" validate:"required"`
}

// AssetPatchAttributes are what an update may change; at least one.
type AssetPatchAttributes struct {
	Class  *ClassInput   `json:"class,omitempty"`
	Labels *LabelsUpdate `json:"labels,omitempty" description:"Either {add, remove} or an array of labels replacing all of them"`
	Tags   *TagsUpdate   `json:"tags,omitempty" description:"Either {add, remove} or an object of tags replacing all of them"`
}

// ClassInput sets the class by display_name or rank, and optionally locks it.
type ClassInput struct {
	DisplayName string `json:"display_name,omitempty" example:"A"`
	Rank        int    `json:"rank,omitempty" example:"1"`
	Locked      *bool  `json:"locked,omitempty"`
}

// LabelsUpdate adds and removes labels (1-40 characters of [a-zA-Z0-9_/:?#@&=+%~-], at most 50).
type LabelsUpdate struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// TagsUpdate adds tags and removes tag keys (keys 1-30 of [a-zA-Z0-9_-], values 1-40, at most 100).
type TagsUpdate struct {
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// CreateSearchRequest is the body of POST searches; all of it is optional.
type CreateSearchRequest struct {
	Data *SearchData `json:"data,omitempty"`
}

// SearchData is the search resource to create.
type SearchData struct {
	Type       string            `json:"type,omitempty" example:"searches"`
	Attributes *SearchAttributes `json:"attributes,omitempty"`
}

// SearchAttributes are the search's filter, sort, page size and count.
type SearchAttributes struct {
	Filter    string `json:"filter,omitempty" example:"registry==docker.io;labels==prod"`
	Sort      string `json:"sort,omitempty" example:"-created_at"`
	Limit     int    `json:"limit,omitempty" example:"10"`
	MetaCount string `json:"meta_count,omitempty" example:"with"`
}

func errorResponse(code int, description string) fuego.RouteOption {
	return option.AddResponse(code, description, fuego.Response{Type: ErrorDocument{}, ContentTypes: []string{mediaTypeJSONAPI}})
}

// noContent documents a response without a body.
func noContent(code int, description string) fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		r.Operation.AddResponse(code, openapi3.NewResponse().WithDescription(description).WithContent(openapi3.Content{}))
	}
}

func uuidPath(name, description string) fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		p := openapi3.NewPathParameter(name).WithDescription(description).WithRequired(true).WithSchema(openapi3.NewUUIDSchema())
		r.Operation.AddParameter(p)
	}
}

// routes registers the ten operations at each of the three scopes on a
// fuego server, which also generates the OpenAPI description from them.
func (s *Server) routes() *fuego.Server {
	f := fuego.NewServer(
		fuego.WithoutStartupMessages(),
		fuego.WithLoggingMiddleware(fuego.LoggingConfig{DisableRequest: true, DisableResponse: true}),
		fuego.WithSerializer(serialize),
		fuego.WithErrorSerializer(errorSerializer),
		fuego.WithoutAutoGroupTags(),
		fuego.WithSecurity(openapi3.SecuritySchemes{
			"APIToken": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("Authorization").
				WithDescription("Authorization: Token <key>")},
			"BearerAuth": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
				WithDescription("Authorization: Bearer <key>")},
		}),
		fuego.WithEngineOptions(
			// Errors are rendered by errorSerializer; fuego's handler would
			// turn them into RFC 9457 problems.
			fuego.WithErrorHandler(func(_ context.Context, err error) error { return err }),
			fuego.WithResponseContentType(mediaTypeJSONAPI),
			fuego.WithRequestContentType(mediaTypeJSONAPI, mediaTypeJSON),
			fuego.WithOpenAPIConfig(fuego.OpenAPIConfig{
				SpecURL: "/rest/openapi.json", SwaggerURL: "/rest/docs",
				DisableLocalSave: true, DisableMessages: true, DisableDefaultServer: true,
				Info: &openapi3.Info{
					Title:   "Asset inventory API",
					Version: currentVersion,
					Description: "Snyk-compatible Inventory Assets REST API (JSON:API) over container images, " +
						"at tenant, group and org scope. Authenticate with `Authorization: Token <key>`.",
				},
			}),
		),
		fuego.WithRouteOptions(
			errorResponse(http.StatusBadRequest, "Bad Request: a parameter or the body is invalid"),
			errorResponse(http.StatusUnauthorized, "Unauthorized: the request needs a valid token"),
			errorResponse(http.StatusForbidden, "Forbidden: the token lacks the permission"),
			errorResponse(http.StatusNotFound, "Not Found: the resource does not exist or is not visible to the token"),
			errorResponse(http.StatusNotAcceptable, "Not Acceptable: the Accept header excludes JSON:API"),
			errorResponse(http.StatusInternalServerError, "Internal Server Error"),
			errorResponse(http.StatusServiceUnavailable, "Service Unavailable: the search service is down"),
			option.Tags("Inventory Assets"),
			option.Security(openapi3.SecurityRequirement{"APIToken": {}}, openapi3.SecurityRequirement{"BearerAuth": {}}),
			option.Query("version", "The requested API version, YYYY-MM-DD", param.Example("current", currentVersion)),
			option.ResponseHeader("snyk-request-id", "The request id: the caller's, echoed, or a new UUID", param.StatusCodes(200, 204, 302, 400, 401, 403, 404)),
			option.ResponseHeader("snyk-version-served", "The version that was served", param.StatusCodes(200, 204, 302)),
		),
	)
	body := []fuego.RouteOption{
		option.RequestContentType(mediaTypeJSONAPI, mediaTypeJSON),
		errorResponse(http.StatusRequestEntityTooLarge, "Payload Too Large: the body exceeds 1 MiB"),
		errorResponse(http.StatusUnsupportedMediaType, "Unsupported Media Type: send application/vnd.api+json"),
	}
	paging := option.Group(
		option.QueryInt("limit", "Number of results per page, 10 to 100", param.Default(10)),
		option.Query("starting_after", "Cursor of the next page (from links.next)"),
		option.Query("ending_before", "Cursor of the previous page (from links.prev)"),
	)
	sparse := option.Query("fields[container_images]", "Comma-separated attributes to return (sparse fieldset)")
	filter := option.Query("filter", "RSQL filter, e.g. registry==docker.io;labels=in=(prod,pci)", param.Example("filter", "class==A;tags.env==prod"))
	sort := option.Query("sort", "Comma-separated sort fields: "+strings.Join(assetSortNames(), ", ")+"; prefix - for descending")
	assetTypes := option.Query("asset_types", "Comma-separated asset types (container_images)")

	for _, sc := range []struct{ kind, param, label string }{
		{"tenant", "tenant_id", "Tenant"}, {"group", "group_id", "Group"}, {"org", "org_id", "Org"},
	} {
		base := "/rest/" + sc.kind + "s/{" + sc.param + "}/inventory/assets"
		in := option.Group(uuidPath(sc.param, "The id of the "+sc.kind))
		perm := func(p string) fuego.RouteOption {
			return option.AddDescription("\n\nRequired permission: `" + sc.kind + "." + p + "` (or one on an enclosing scope).")
		}
		fuego.Get(f, base, s.listAssets, in, perm("read"), option.OperationID("listAssets"+sc.label),
			option.Summary("List or search assets"), filter, sort, paging, sparse,
			option.Query("meta_count", "with: include meta.count; only: only the count"))
		fuego.Patch(f, base, s.updateAssets, append(body, in, perm("edit"), option.OperationID("updateAssetsBulk"+sc.label),
			option.Summary("Update up to 100 assets, all or nothing"), option.DefaultStatusCode(http.StatusNoContent),
			noContent(http.StatusNoContent, "Assets updated"))...)
		fuego.Get(f, base+"/{asset_id}", s.getAsset, in, perm("read"), option.OperationID("getAsset"+sc.label),
			uuidPath("asset_id", "The id of the asset"), option.Summary("Get one asset"), sparse)
		fuego.Patch(f, base+"/{asset_id}", s.updateAsset, append(body, in, perm("edit"), option.OperationID("updateAsset"+sc.label),
			uuidPath("asset_id", "The id of the asset"), option.Summary("Update an asset's class, labels and tags"))...)
		fuego.Post(f, base+"/searches", s.createSearch, append(body, in, perm("read"), option.OperationID("createAssetSearch"+sc.label),
			option.Summary("Start a search; redirects to its results"), option.DefaultStatusCode(http.StatusFound),
			option.ResponseHeader("Location", "The search's results", param.StatusCodes(http.StatusFound)))...)
		fuego.Get(f, base+"/searches/{search_id}/results", s.searchResults, in, perm("read"), option.OperationID("getAssetSearchResults"+sc.label),
			uuidPath("search_id", "The id of the search"), option.Summary("Page through a search's results"), sort, paging, sparse)
		fuego.Get(f, base+"/groups", s.listGroupFields, in, perm("read"), option.OperationID("getGroupFields"+sc.label),
			option.Summary("List the fields assets can be grouped by"), assetTypes, paging)
		fuego.Get(f, base+"/groups/{group_field_id}/values", s.groupValues, in, perm("read"), option.OperationID("getGroupValues"+sc.label),
			uuidPath("group_field_id", "The id of the group field"), option.Summary("Values of a group field with counts and aggregates"),
			assetTypes, filter, paging,
			option.Query("sort", "Comma-separated: value, count, last_seen_at, updated_at, risk_score, built_at, issues; - for descending"),
			option.Query("meta_fields", "Comma-separated: count, last_seen_at, updated_at, risk_score, issues, labels, tags, built_at, all"),
			option.Query("aggregate[risk_score]", "max, min, first, last or sum (default last); likewise aggregate[FIELD] for the other meta fields"))
		fuego.Get(f, base+"/filters", s.listFilterFields, in, perm("read"), option.OperationID("getFilterFields"+sc.label),
			option.Summary("List the fields filters can use"), assetTypes, paging)
		fuego.Get(f, base+"/filters/{filter_id}/values", s.filterValues, in, perm("read"), option.OperationID("getFilterValues"+sc.label),
			uuidPath("filter_id", "The id of the filter field"), option.Summary("Distinct values of a filter field, for autocomplete"),
			option.Query("q", "Substring the values (or keys) contain"), option.QueryBool("keys_only", "Object fields: list the keys"),
			option.Query("key", "Object fields: list the values of this key"), paging)
	}
	f.Engine.RegisterOpenAPIRoutes(f)
	f.OutputOpenAPISpec()
	tidySpec(f.OpenAPI.Description())
	return f
}

// tidySpec drops what fuego adds by default and this API never answers.
func tidySpec(doc *openapi3.T) {
	delete(doc.Components.Schemas, "HTTPError")
	delete(doc.Components.Schemas, "ValidationError")
	doc.Servers = openapi3.Servers{{URL: "/", Description: "this server; the API is under /rest"}}
}
