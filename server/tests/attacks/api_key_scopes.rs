//! Minting an API key beyond one's own permissions: an admin who may manage API keys, and do
//! nothing else, cannot make a `*` key or a `participants:write` key, create or rotate; the
//! refusal names the scope.

use serde_json::json;

use crate::common::{Backend, Server};

on_both_backends!(a_key_manager_cannot_mint_a_key_beyond_their_own_permissions);

const KEYS_ONLY: &str = "keys@demo.gatehouse.test";

/// Adds an admin whose only permission is `api-keys:manage` (the demo admin's password).
async fn add_key_manager(s: &Server) {
    let admin = s.demo_json()["admin"]["email"].as_str().unwrap().to_owned();
    let (role, user) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    s.operator_sql(&format!(
        "INSERT INTO roles (id, tenant_id, name) \
           SELECT '{role}', tenant_id, 'Key keeper' FROM users WHERE email = '{admin}';
         INSERT INTO role_permissions (tenant_id, role_id, permission) \
           SELECT tenant_id, '{role}', 'api-keys:manage' FROM users WHERE email = '{admin}';
         INSERT INTO users (id, tenant_id, email, full_name, password_hash, created_at) \
           SELECT '{user}', tenant_id, '{KEYS_ONLY}', 'Key keeper', password_hash, 0 \
           FROM users WHERE email = '{admin}';
         INSERT INTO user_roles (tenant_id, user_id, role_id) \
           SELECT tenant_id, '{user}', '{role}' FROM users WHERE email = '{admin}';"
    ))
    .await;
}

async fn a_key_manager_cannot_mint_a_key_beyond_their_own_permissions(backend: Backend) {
    let s = Server::demo(backend).await;
    add_key_manager(&s).await;
    let password = s.demo_json()["admin"]["password"].clone();
    let login = json!({"email": KEYS_ONLY, "password": password});
    let signed_in = s
        .anonymous()
        .post_json("/admin/v1/login", &login)
        .await
        .expect(200)
        .json();
    let keeper = s.as_admin(signed_in["token"].as_str().unwrap());
    assert_eq!(signed_in["user"]["permissions"], json!(["api-keys:manage"]));

    for scope in ["*", "participants:write", "participants:*"] {
        let refused = keeper
            .post_json(
                "/admin/v1/api-keys",
                &json!({"name": "escalation", "scopes": [scope]}),
            )
            .await
            .expect_error(403, "scope_not_permitted");
        assert!(
            refused.error_message().contains(&format!("\"{scope}\"")),
            "the refusal names {scope}: {}",
            refused.body
        );
    }
    let keys = keeper.get_json("/admin/v1/api-keys").await;
    let names: Vec<&str> = keys["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["name"].as_str())
        .collect();
    assert!(!names.contains(&"escalation"), "no key was made: {names:?}");

    // Rotating the demo's `*` key would hand the keeper its new secret: refused too.
    let star = keys["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["scopes"] == json!(["*"]) && k["revoked_at"].is_null())
        .expect("the demo's key")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    keeper
        .post(&format!("/admin/v1/api-keys/{star}/rotate"))
        .await
        .expect_error(403, "scope_not_permitted");
    s.as_integrator(&s.demo_api_key())
        .get(&format!("/api/v1/events/{}", s.event_id()))
        .await
        .expect_because(200, "the demo's key still works");

    // The full admin may still make a `*` key.
    let admin = s.as_admin(&s.admin_session().await);
    admin
        .post_json(
            "/admin/v1/api-keys",
            &json!({"name": "all", "scopes": ["*"]}),
        )
        .await
        .expect(201);
}
