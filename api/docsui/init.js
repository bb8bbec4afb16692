// Starts the vendored Swagger UI on the API's own OpenAPI document. The
// validator badge is off: it would ask a public host, and the page must work
// with no internet.
window.addEventListener("load", function () {
  var spec = document.body.getAttribute("data-spec");
  window.ui = SwaggerUIBundle({
    url: spec,
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
  });
});
