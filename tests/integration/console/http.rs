//! The console over plain HTTP (no browser), for what a browser hides:
//! status codes, `Location`, and forms a page would never send.

use crate::common::service::Service;

/// A signed-in session: its cookie header and its CSRF token.
pub struct HttpSession {
    pub cookie: String,
    pub csrf: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `name=value` of a `Set-Cookie` header for cookie `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the first hidden `csrf` field of a page.
fn hidden_csrf(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    html[start..].split('"').next().expect("value").to_owned()
}

/// `GET path` (with `cookie`): the status and `Location`.
pub async fn raw_get(service: &Service, path: &str, cookie: Option<&str>) -> (u16, Option<String>) {
    let mut request = client().get(service.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("get");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), location)
}

/// Posts `fields` as a form to `path` (with `cookie`): the status and `Location`.
pub async fn post_form(
    service: &Service,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> (u16, Option<String>) {
    let mut request = client()
        .post(service.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).expect("form"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("post");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), location)
}

/// Signs in with `token` as a browser would; `None` when refused.
pub async fn http_sign_in(service: &Service, token: &str) -> Option<HttpSession> {
    let http = client();
    let form = http
        .get(service.url("/ui/signin"))
        .send()
        .await
        .expect("sign-in page");
    let signin_cookie = set_cookie(&form, "tenure_signin").expect("the form's cookie");
    let csrf = hidden_csrf(&form.text().await.expect("html"));
    let answer = http
        .post(service.url("/ui/signin"))
        .header("cookie", &signin_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([("csrf", csrf.as_str()), ("token", token)]).expect("form"),
        )
        .send()
        .await
        .expect("sign in");
    if answer.status().as_u16() != 303 {
        assert_eq!(answer.status().as_u16(), 401, "a refused sign-in is 401");
        return None;
    }
    let session = set_cookie(&answer, "tenure_console").expect("the session cookie");
    let page = http
        .get(service.url("/ui/approvals"))
        .header("cookie", &session)
        .send()
        .await
        .expect("a page");
    assert_eq!(page.status().as_u16(), 200);
    let csrf = hidden_csrf(&page.text().await.expect("html"));
    Some(HttpSession {
        cookie: session,
        csrf,
    })
}
