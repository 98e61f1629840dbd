//! Discovery (RFC 7644 §4): `ServiceProviderConfig` (what this provider
//! supports: PATCH, filter, ETags; no bulk, sort or password change),
//! `ResourceTypes` and `Schemas` (the attributes Tenure reads).

use serde_json::{Value, json};

use super::{Scim, groups, users};

const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The most resources one page returns.
pub const MAX_COUNT: usize = 200;

/// A `ListResponse` of `resources`, page `start_index` (1-based) of `total`.
pub fn list(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config(scim: &Scim) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_COUNT },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token [scim] token names, as Authorization: Bearer <token>.",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base(scim)) },
    })
}

fn base(scim: &Scim) -> &str {
    scim.base_url.as_deref().unwrap_or("/scim/v2")
}

/// `GET /ResourceTypes`.
pub fn resource_types(scim: &Scim) -> Value {
    let types = [("User", "Users", users::SCHEMA), ("Group", "Groups", groups::SCHEMA)]
        .into_iter()
        .map(|(name, endpoint, schema)| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": name,
                "name": name,
                "endpoint": format!("/{endpoint}"),
                "schema": schema,
                "meta": { "resourceType": "ResourceType", "location": format!("{}/ResourceTypes/{name}", base(scim)) },
            })
        })
        .collect();
    list(types, 2, 1)
}

fn attribute(name: &str, kind: &str, multi: bool, required: bool, unique: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": multi, "required": required,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": unique,
    })
}

/// `GET /Schemas`.
pub fn schemas(scim: &Scim) -> Value {
    let mut emails = attribute("emails", "complex", true, false, "none");
    emails["subAttributes"] = json!([
        attribute("value", "string", false, false, "none"),
        attribute("type", "string", false, false, "none"),
        attribute("primary", "boolean", false, false, "none"),
    ]);
    let mut name = attribute("name", "complex", false, false, "none");
    name["subAttributes"] = json!([
        attribute("givenName", "string", false, false, "none"),
        attribute("familyName", "string", false, false, "none"),
        attribute("formatted", "string", false, false, "none"),
    ]);
    let mut members = attribute("members", "complex", true, false, "none");
    members["subAttributes"] = json!([
        attribute("value", "string", false, false, "none"),
        attribute("display", "string", false, false, "none"),
    ]);
    let schema = |id: &str, name_: &str, attributes: Vec<Value>| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id, "name": name_, "attributes": attributes,
            "meta": { "resourceType": "Schema", "location": format!("{}/Schemas/{id}", base(scim)) },
        })
    };
    list(
        vec![
            schema(
                users::SCHEMA,
                "User",
                vec![
                    attribute("userName", "string", false, true, "server"),
                    attribute("externalId", "string", false, false, "none"),
                    attribute("displayName", "string", false, false, "none"),
                    attribute("active", "boolean", false, false, "none"),
                    name,
                    emails,
                ],
            ),
            schema(
                groups::SCHEMA,
                "Group",
                vec![
                    attribute("displayName", "string", false, true, "server"),
                    attribute("externalId", "string", false, false, "none"),
                    members,
                ],
            ),
        ],
        2,
        1,
    )
}
