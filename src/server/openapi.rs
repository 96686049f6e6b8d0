//! The API's OpenAPI 3.1 document, `GET /api/openapi.json`: derived by utoipa from the handlers'
//! `#[utoipa::path]` annotations and the response types' `ToSchema`; only the list of handlers and
//! the bearer scheme are written here. A test keeps each path's documented parameters equal to
//! the ones its handler accepts.

use axum::response::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api::{self, json};
use super::{params, stream};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "briefwatch API",
        description = "Read-only JSON API and live stream of a briefwatch daemon. Every endpoint \
            needs `Authorization: Bearer <token>`; every error is \
            `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`."
    ),
    paths(
        api::list_briefs,
        api::show_brief,
        api::list_stories,
        api::list_sources,
        api::list_deliveries,
        stream::stream,
        openapi_json
    ),
    // Parameter types are not collected by themselves, unlike response bodies.
    components(schemas(params::Since)),
    modifiers(&BearerScheme),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the document's `security` names.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json"),
        (status = 401, description = "No or a wrong bearer token", body = api::ErrorBody),
    ))]
pub(super) async fn openapi_json() -> Response {
    json(ApiDoc::openapi().to_json().unwrap_or_default().into_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_each_path_with_the_parameters_its_handler_accepts() {
        let doc: serde_json::Value =
            serde_json::from_str(&ApiDoc::openapi().to_json().unwrap()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
        let paths = doc["paths"].as_object().unwrap();
        for (path, accepted) in [
            ("/api/briefs", params::BRIEFS_PARAMS),
            ("/api/briefs/{id}", &[][..]),
            ("/api/stories", params::STORIES_PARAMS),
            ("/api/sources", &[][..]),
            ("/api/deliveries", params::DELIVERIES_PARAMS),
            ("/api/stream", params::STREAM_PARAMS),
            ("/api/openapi.json", &[][..]),
        ] {
            let params = paths[path]["get"]["parameters"].as_array();
            let documented: BTreeSet<&str> = params
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let accepted: BTreeSet<&str> = accepted.iter().copied().collect();
            assert_eq!(documented, accepted, "{path}");
        }
        assert_eq!(paths.len(), 7);
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
