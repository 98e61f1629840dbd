//! The request shapes Microsoft Entra ID and Okta send, replayed from
//! `tests/fixtures/scim/` with reqwest: Entra's lookup, create, PATCH with
//! `"op": "Replace"` and `"active": "False"` / `"True"`; Okta's lookup,
//! create (with a password, never kept), and PUT of the whole user with
//! `active: false`. Each deactivation is the owner leaving, each
//! reactivation the owner returning, applied once.

use serde_json::{Value, json};

use super::{Fixture, start};
use crate::common::service::Service;

/// The `(type, owner)` of each applied event, in order.
fn applied(service: &Service) -> Vec<(String, String)> {
    service
        .audit_events()
        .iter()
        .map(|e| {
            let signal = &e["data"]["signals"][0];
            (
                e["data"]["type"].as_str().unwrap_or_default().to_owned(),
                signal["key"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn entra_shapes_create_deactivate_and_reactivate() {
    let service = start("", &[]).await;
    let (status, found) = Fixture::load("entra-get-filter").send(&service, "").await;
    assert_eq!(
        (status, &found["totalResults"]),
        (200, &json!(0)),
        "{found}"
    );

    let (status, user) = Fixture::load("entra-create-user").send(&service, "").await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("id").to_owned();
    assert_eq!(user["userName"], "Erin.Entra@contoso.example");
    assert_eq!(user["active"], true);
    assert_eq!(
        user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Payments"
    );
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["meta"]["location"], format!("/scim/v2/Users/{id}"));
    let (_, found) = Fixture::load("entra-get-filter").send(&service, "").await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    let (status, off) = Fixture::load("entra-deactivate").send(&service, &id).await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(
        off["active"], false,
        "the string \"False\" is stored as false"
    );
    assert_eq!(off["meta"]["version"], "W/\"2\"");
    service.wait_applied(1).await;

    let (status, on) = Fixture::load("entra-reactivate").send(&service, &id).await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(on["active"], true);
    assert_eq!(
        on["emails"],
        json!([{ "primary": true, "type": "work", "value": "erin@contoso.example" }])
    );
    assert_eq!(on["name"]["givenName"], "Erin");
    service.wait_applied(2).await;
    let owner = "Erin.Entra@contoso.example".to_owned();
    assert_eq!(
        applied(&service),
        [
            ("io.tenure.owner.left".to_owned(), owner.clone()),
            ("io.tenure.owner.returned".to_owned(), owner)
        ]
    );
}

#[tokio::test]
async fn okta_shapes_look_up_create_and_deactivate_with_a_whole_put() {
    let service = start("", &[]).await;
    let (status, found) = Fixture::load("okta-get-filter").send(&service, "").await;
    assert_eq!(
        (status, &found["totalResults"]),
        (200, &json!(0)),
        "{found}"
    );
    assert_eq!(found["startIndex"], 1);

    let (status, user) = Fixture::load("okta-create-user").send(&service, "").await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("id").to_owned();
    assert_eq!(user.get("password"), None, "a password is never kept");
    assert_eq!(user["externalId"], "00ujl29u0le5T6Aj10h7");
    let (_, found) = Fixture::load("okta-get-filter").send(&service, "").await;
    assert_eq!(found["Resources"][0]["id"], id.as_str(), "{found}");

    let (status, off) = Fixture::load("okta-deactivate-put")
        .send(&service, &id)
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["active"], false);
    assert_eq!(off["displayName"], "Isaac Brock");
    service.wait_applied(1).await;
    assert_eq!(
        applied(&service),
        [(
            "io.tenure.owner.left".to_owned(),
            "isaac.brock@example.com".to_owned()
        )]
    );
    // The same PUT again changes nothing that matters: no second event.
    let (status, _) = Fixture::load("okta-deactivate-put")
        .send(&service, &id)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(service.audit_events().len(), 1);
    let trail = service.audit();
    assert!(
        !trail.contains("1mz050nq"),
        "the password never reaches the trail"
    );
    let stored: Value = serde_json::to_value(super::scim_audit(&service)).expect("json");
    assert!(stored.to_string().contains("\"by\":\"scim\""));
}
