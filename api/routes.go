package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-fuego/fuego"
	"github.com/go-fuego/fuego/option"
	"github.com/go-fuego/fuego/param"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

func errorResponse(code int, description string) fuego.RouteOption {
	return option.AddResponse(code, description, fuego.Response{Type: ErrorDocument{}, ContentTypes: []string{mediaTypeJSONAPI}})
}

// noContent documents a response without a body.
func noContent(code int, description string) fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		r.Operation.AddResponse(code, openapi3.NewResponse().WithDescription(description).WithContent(openapi3.Content{}))
	}
}

// describe adds a paragraph to an operation's description.
func describe(text string) fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		if r.Operation.Description != "" {
			r.Operation.Description += "\n\n"
		}
		r.Operation.Description += text
	}
}

func uuidPath(name, description string) fuego.RouteOption {
	return func(r *fuego.BaseRoute) {
		p := openapi3.NewPathParameter(name).WithDescription(description).WithRequired(true).WithSchema(openapi3.NewUUIDSchema())
		r.Operation.AddParameter(p)
	}
}

// newFuego is the fuego server the routes are registered on: JSON:API
// serialization and errors, security schemes, and the options every
// operation shares in the OpenAPI description.
func newFuego() *fuego.Server {
	return fuego.NewServer(
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
				SpecURL: "/rest/openapi.json", SwaggerURL: "/rest/docs", UIHandler: docsUI,
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
			errorResponse(http.StatusTooManyRequests, "Too Many Requests: the rate limit of the token or client address is reached; see Retry-After"),
			errorResponse(http.StatusInternalServerError, "Internal Server Error"),
			errorResponse(http.StatusServiceUnavailable, "Service Unavailable: the search service is down"),
			// Without it fuego opens every description with the name of
			// the Go handler, which means nothing to a client.
			option.OverrideDescription(""),
			option.Tags("Inventory Assets"),
			option.Security(openapi3.SecurityRequirement{"APIToken": {}}, openapi3.SecurityRequirement{"BearerAuth": {}}),
			query("version", "The requested API version, a date (YYYY-MM-DD) on or after "+versions[0]+
				"; the newest version on or before it is served. Without it, "+currentVersion+".", versionSchema()),
		),
	)
}

// aggregateOptions documents the aggregate[FIELD] parameters of group
// values, one per meta field with aggregate modes.
func aggregateOptions() []fuego.RouteOption {
	aggregates := []fuego.RouteOption{}
	for _, f := range index.MetaFields() {
		if modes := index.MetaModes(f); len(modes) > 0 {
			aggregates = append(aggregates, query("aggregate["+f+"]", "How to aggregate "+f+" over the assets of a value (default last)",
				stringEnum(modes...).WithDefault("last")))
		}
	}
	return aggregates
}

// routes registers the ten operations at each of the three scopes on a
// fuego server, which also generates the OpenAPI description from them.
func (s *Server) routes() (*fuego.Server, error) {
	f := newFuego()
	doc := f.OpenAPI.Description()
	addComponents(doc)
	body := []fuego.RouteOption{
		errorResponse(http.StatusRequestEntityTooLarge, "Payload Too Large: the body exceeds 1 MiB"),
		errorResponse(http.StatusUnsupportedMediaType, "Unsupported Media Type: send application/vnd.api+json"),
	}
	paging := option.Group(
		query("limit", "Number of results per page, 10 to 100", limitSchema()),
		query("starting_after", "Cursor of the next page (from links.next); empty means none", cursorSchema()),
		query("ending_before", "Cursor of the previous page (from links.prev); empty means none. Not together with starting_after.", cursorSchema()),
	)
	sparse := query("fields[container_images]", "Comma-separated attributes to return (sparse fieldset); empty for none: "+
		strings.Join(assetFields(), ", "), openapi3.NewStringSchema().WithPattern(listPattern(assetFields(), false, true)))
	filter := query("filter", filterDescription(positiveOr(s.cfg.FilterCostMax, rsql.CostMaxDefault)), filterSchema())
	sort := query("sort", "Comma-separated sort fields, each at most once: "+strings.Join(assetSortNames(), ", ")+"; prefix - for descending",
		openapi3.NewStringSchema().WithPattern(listPattern(assetSortNames(), true, false)))
	assetTypes := query("asset_types", "Comma-separated asset types (container_images)",
		openapi3.NewStringSchema().WithPattern(listPattern([]string{store.AssetTypeContainerImage}, false, true)))
	aggregates := aggregateOptions()

	for _, sc := range []struct{ kind, param, label string }{
		{"tenant", "tenant_id", "Tenant"}, {"group", "group_id", "Group"}, {"org", "org_id", "Org"},
	} {
		base := "/rest/" + sc.kind + "s/{" + sc.param + "}/inventory/assets"
		in := option.Group(uuidPath(sc.param, "The id of the "+sc.kind))
		perm := func(p string) fuego.RouteOption {
			return describe("Required permission: `" + sc.kind + "." + p + "` (or one on an enclosing scope).")
		}
		fuego.Get(f, base, s.listAssets, in, perm("read"), option.OperationID("listAssets"+sc.label),
			option.Summary("List or search assets"), filter, sort, paging, sparse,
			query("meta_count", "with: include meta.count; only: only the count", metaCountSchema()))
		fuego.Patch(f, base, s.updateAssets, append(body, in, perm("edit"), option.OperationID("updateAssetsBulk"+sc.label),
			option.Summary("Update up to 100 assets, all or nothing"), option.DefaultStatusCode(http.StatusNoContent),
			jsonBody(doc, "AssetBulkPatchRequest", "The assets to update", true),
			noContent(http.StatusNoContent, "Assets updated"))...)
		fuego.Get(f, base+"/export", s.exportAssets, in, perm("read"), option.OperationID("exportAssets"+sc.label),
			option.Summary("Export every matching asset as NDJSON or CSV (extension)"), filter, sort, sparse, exportOptions())
		fuego.Get(f, base+"/{asset_id}", s.getAsset, in, perm("read"), option.OperationID("getAsset"+sc.label),
			uuidPath("asset_id", "The id of the asset"), option.Summary("Get one asset"), sparse)
		fuego.Patch(f, base+"/{asset_id}", s.updateAsset, append(body, in, perm("edit"), option.OperationID("updateAsset"+sc.label),
			uuidPath("asset_id", "The id of the asset"), option.Summary("Update an asset's class, labels and tags"),
			jsonBody(doc, "AssetPatchRequest", "The update", true))...)
		// The contract's search body is optional: no body is a search of everything.
		fuego.Post(f, base+"/searches", s.createSearch, append(body, in, perm("read"), option.OperationID("createAssetSearch"+sc.label),
			option.Summary("Start a search; redirects to its results"), option.DefaultStatusCode(http.StatusFound),
			jsonBody(doc, "CreateSearchRequest", "The search; optional", false),
			option.ResponseHeader("Location", "The search's first results page", param.StatusCodes(http.StatusFound)))...)
		fuego.Get(f, base+"/searches/{search_id}/results", s.searchResults, in, perm("read"), option.OperationID("getAssetSearchResults"+sc.label),
			uuidPath("search_id", "The id of the search"), option.Summary("Page through a search's results"), sort, paging, sparse)
		fuego.Get(f, base+"/groups", s.listGroupFields, in, perm("read"), option.OperationID("getGroupFields"+sc.label),
			option.Summary("List the fields assets can be grouped by"), assetTypes, paging)
		fuego.Get(f, base+"/groups/{group_field_id}/values", s.groupValues, append([]fuego.RouteOption{in, perm("read"), option.OperationID("getGroupValues" + sc.label),
			uuidPath("group_field_id", "The id of the group field"), option.Summary("Values of a group field with counts and aggregates"),
			assetTypes, filter, paging,
			query("sort", "Comma-separated sort fields, each at most once: "+strings.Join(index.GroupSortFields, ", ")+"; - for descending (default count)",
				openapi3.NewStringSchema().WithPattern(listPattern(index.GroupSortFields, true, false))),
			query("meta_fields", "Comma-separated meta fields to return: "+strings.Join(index.MetaFields(), ", "),
				openapi3.NewStringSchema().WithPattern(listPattern(index.MetaFields(), false, true))),
			disjunctiveParam(),
		}, aggregates...)...)
		fuego.Get(f, base+"/{asset_id}/relationships/projects", s.listAssetProjects, append([]fuego.RouteOption{in, perm("read"),
			option.OperationID("listAssetProjects" + sc.label), uuidPath("asset_id", "The id of the asset"),
			option.Summary("List the projects behind an asset"), paging}, projectParams()...)...)
		fuego.Get(f, base+"/{asset_id}/relationships/targets", s.listAssetTargets, in, perm("read"),
			option.OperationID("listAssetTargets"+sc.label), uuidPath("asset_id", "The id of the asset"),
			option.Summary("List the targets behind an asset"), paging)
		fuego.Get(f, base+"/filters", s.listFilterFields, in, perm("read"), option.OperationID("getFilterFields"+sc.label),
			option.Summary("List the fields filters can use"), assetTypes, paging)
		fuego.Get(f, base+"/filters/{filter_id}/values", s.filterValues, in, perm("read"), option.OperationID("getFilterValues"+sc.label),
			uuidPath("filter_id", "The id of the filter field"), option.Summary("Distinct values of a filter field, for autocomplete"),
			query("q", "Substring the values (or keys) contain", openapi3.NewStringSchema().WithMaxLength(maxFilterQ)),
			query("keys_only", "Object fields (tags, image_labels): list the keys. Not together with key.", openapi3.NewBoolSchema()),
			query("key", "Object fields (tags, image_labels) only: list the values of this key", openapi3.NewStringSchema()), paging)
	}
	documentSearchableWait(doc)
	f.Engine.RegisterOpenAPIRoutes(f)
	// In place of f.OutputOpenAPISpec, which validates the document without
	// knowing the 3.1 keywords it uses (and only logs what it finds).
	refineSpec(doc)
	if err := validateSpec(doc); err != nil {
		return nil, fmt.Errorf("the OpenAPI description is not valid: %w", err)
	}
	return f, nil
}
