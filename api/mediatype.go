package api

import (
	"mime"
	"net/http"
	"strings"
)

const (
	mediaTypeJSONAPI = "application/vnd.api+json"
	mediaTypeJSON    = "application/json"
)

// acceptable reports whether an Accept header admits a JSON:API answer:
// the JSON:API media type, plain JSON, or a wildcard, in a comma list with
// any spacing and parameters. A missing header accepts anything.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && strings.TrimLeft(q, "0.") == "" {
			continue // q=0 means "not this one"
		}
		switch mt {
		case mediaTypeJSONAPI, mediaTypeJSON, "*/*", "application/*":
			return true
		}
	}
	return false
}

// responseMediaType answers application/json only to a client that asked
// for it and not for JSON:API or anything; everyone else gets JSON:API.
func responseMediaType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaTypeJSONAPI
	}
	plain := false
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaTypeJSONAPI, "*/*", "application/*":
			return mediaTypeJSONAPI
		case mediaTypeJSON:
			plain = true
		}
	}
	if plain {
		return mediaTypeJSON
	}
	return mediaTypeJSONAPI
}

// checkContentType accepts a request body sent as JSON:API or JSON. JSON:API
// forbids media type parameters other than ext/profile; charset is
// tolerated because many clients add it to JSON.
func checkContentType(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &Error{Status: http.StatusUnsupportedMediaType, Detail: "The request body needs a Content-Type of application/vnd.api+json."}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != mediaTypeJSONAPI && mt != mediaTypeJSON) {
		return &Error{Status: http.StatusUnsupportedMediaType, Detail: "The Content-Type " + truncate(ct, 60) + " is not supported; send application/vnd.api+json."}
	}
	for k := range params {
		if k != "charset" && k != "ext" && k != "profile" {
			return &Error{Status: http.StatusUnsupportedMediaType, Detail: "The media type parameter " + truncate(k, 30) + " is not supported."}
		}
	}
	return nil
}
