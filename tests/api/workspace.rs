//! The sales manager's workspace (`/app/`): a browser walk of the demo in headless Chromium
//! (Debian's `chromium` and `chromium-driver`, driven over WebDriver), and the guarantees of
//! its sessions checked request by request.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awc::http::{Method, StatusCode};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use jobcraft::domain::api_key::Scope;
use serde_json::json;

use crate::harness::{on_both_backends, TestApp};

on_both_backends!(
    a_sales_manager_walks_the_demo_in_a_browser,
    sessions_are_tenant_bound_csrf_checked_and_end_with_their_key,
);

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver of this test's own, on a free port, with one headless Chromium session;
/// both end when it is dropped.
struct Browser {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends chromedriver and the Chromium it started, which share its process group (a killed
    /// chromedriver alone leaves its browser running).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// The browser's console since it was last read (chromedriver's legacy log endpoint; reading
/// empties it).
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

impl Browser {
    async fn start() -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "the browser tests need Debian's chromium and chromium-driver (`.ci/run` installs them: \
             apt-get install chromium chromium-driver)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            // A process group of its own, for `Drop` to end with everything in it.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser { driver, client: None, _profile: profile };
        let args = [
            "--headless=new",
            // As root (CI), Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            // There is no internet here: nothing in the background may try to reach it.
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            &format!("--user-data-dir={}", browser._profile.path().display()),
        ];
        let capabilities: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }))
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            match builder.connect(&format!("http://127.0.0.1:{port}")).await {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => panic!("no browser session: {error}"),
                Err(_) => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            }
        };
        browser.client = Some(client);
        browser
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    async fn text(&self, css: &str) -> String {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    async fn click(&self, css: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn path(&self) -> String {
        self.c().current_url().await.unwrap().path().to_owned()
    }

    /// Waits for the page at `path` (a click that submits a form returns before the next
    /// page is there).
    async fn arrive(&self, path: &str) {
        self.arrive_where(|url| url.path() == path).await;
    }

    /// Waits for a loaded page whose address contains `part`.
    async fn arrive_at(&self, part: &str) {
        self.arrive_where(|url| url.as_str().contains(part)).await;
    }

    async fn arrive_where(&self, wanted: impl Fn(&url::Url) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.c().current_url().await.unwrap();
            if wanted(&url) && self.loaded().await {
                return;
            }
            assert!(Instant::now() < deadline, "still at {url}");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn loaded(&self) -> bool {
        self.c().execute("return document.readyState", vec![]).await.unwrap() == json!("complete")
    }

    /// Console errors since the last look, but for a favicon the pages do not have.
    async fn console_errors(&self) -> Vec<String> {
        let log = self.c().issue_cmd(ConsoleLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .filter(|m| !m.contains("favicon.ico"))
            .collect()
    }

    /// axe-core's serious and critical violations on the page shown (axe is vendored for the
    /// tests only and injected here; the pages never load it).
    async fn accessibility_violations(&self) -> Vec<String> {
        let axe = include_str!("../vendor/axe-core/axe.min.js");
        self.c().execute(axe, vec![]).await.unwrap();
        let found = self
            .c()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations));",
                vec![],
            )
            .await
            .unwrap();
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                format!(
                    "{}: {} ({} nodes)",
                    v["id"],
                    v["help"],
                    v["nodes"].as_array().map_or(0, Vec::len)
                )
            })
            .collect()
    }

    /// Checks the page shown: no console error, no serious accessibility violation; and keeps
    /// a screenshot of it in `target/screenshots/`.
    async fn check_page(&self, name: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "{name}: console errors {errors:?}");
        let violations = self.accessibility_violations().await;
        assert!(violations.is_empty(), "{name}: accessibility {violations:#?}");
        let png = self.c().screenshot().await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// The card of the post titled `title`.
fn card(title: &str) -> String {
    format!("//article[contains(@class, 'card')][.//h2[normalize-space()='{title}']]")
}

async fn card_text(browser: &Browser, title: &str) -> (String, String) {
    let card = browser
        .c()
        .find(Locator::XPath(&card(title)))
        .await
        .unwrap_or_else(|e| panic!("{title}: {e}"));
    (card.attr("class").await.unwrap().unwrap_or_default(), card.text().await.unwrap())
}

async fn a_sales_manager_walks_the_demo_in_a_browser(app: &TestApp) {
    let (key, _) = jobcraft::demo::tenant_key(&app.db).unwrap();
    jobcraft::demo::load(&app.base, &key).await.unwrap();
    let browser = Browser::start().await;
    let c = browser.c();

    // `/` leads to the workspace, which asks for a key first.
    c.goto(&format!("{}/", app.base)).await.unwrap();
    browser.arrive("/app/sign-in").await;
    browser.check_page("sign-in").await;
    c.find(Locator::Id("key")).await.unwrap().send_keys(&key).await.unwrap();
    browser.click("form[action='/app/sign-in'] button").await;
    browser.arrive("/app/").await;
    let url = c.current_url().await.unwrap();
    assert!(!url.as_str().contains("jc_"), "the key never goes into a URL");
    let cookies = c.get_all_cookies().await.unwrap();
    let session =
        cookies.iter().find(|c| c.name() == "jobcraft_session").expect("a session cookie");
    assert!(!session.value().contains(&key[3..20]), "the cookie is not the key");
    let stored = c
        .execute("return window.localStorage.length + window.sessionStorage.length", vec![])
        .await
        .unwrap();
    assert_eq!(stored, json!(0), "nothing in the browser's storage");
    assert!(browser.text("table.accounts").await.contains("Acme Insurance"));
    browser.check_page("accounts").await;

    // Acme's map: Nina uncovered, the new Head of HR, Peter gone.
    c.find(Locator::LinkText("Acme Insurance")).await.unwrap().click().await.unwrap();
    browser.arrive_at("/app/accounts/").await;
    let acme = browser.path().await;
    assert!(acme.starts_with("/app/accounts/"), "{acme}");
    let (class, text) = card_text(&browser, "Head of Procurement").await;
    assert!(
        class.contains("uncovered") && text.contains("Nina Roth") && text.contains("Uncovered"),
        "{class}: {text}"
    );
    let (_, text) = card_text(&browser, "Head of HR").await;
    assert!(text.contains("new holder"), "{text}");
    let alerts = browser.text(".alerts-list").await;
    assert!(
        alerts.contains("Ida Lang is new as Head of HR")
            && alerts.contains("how they craft the job is not recorded yet"),
        "{alerts}"
    );
    assert!(alerts.contains("Peter Falk left Claims Operations Lead"), "{alerts}");
    let (_, text) = card_text(&browser, "Claims Operations Lead").await;
    assert!(text.contains("covered person left"), "{text}");
    browser.check_page("map").await;

    // The lens on carbon footprint: Nina holds it, strongly; cards without it fade.
    c.find(Locator::Css("#lens option[value='carbon_footprint']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click("form.toolbar button[type=submit]").await;
    browser.arrive_at("lens=carbon_footprint").await;
    let (class, text) = card_text(&browser, "Head of Procurement").await;
    assert!(
        class.contains("lens-hit") && text.contains("carbon footprint 0.90"),
        "{class}: {text}"
    );
    let (class, _) = card_text(&browser, "CEO").await;
    assert!(class.contains("lens-miss"), "{class}");
    browser.check_page("map-lens").await;

    // Finding a card by name on the map (script).
    c.find(Locator::Id("find")).await.unwrap().send_keys("Ida").await.unwrap();
    assert_eq!(browser.text("#found").await, "1 found");

    // Nina's page: carbon footprint added against her post.
    c.find(Locator::LinkText("Nina Roth")).await.unwrap().click().await.unwrap();
    browser.arrive_at("/people/").await;
    let crafted = browser.text("table.diff").await;
    let row =
        crafted.lines().find(|l| l.contains("Carbon footprint")).unwrap_or_default().to_owned();
    assert!(row.contains("added") && row.contains("0.90"), "{crafted}");
    assert!(browser.text("main").await.contains("Olga Berg → Nina Roth"));
    browser.check_page("stakeholder").await;

    // Suggestions: Carla on Nina, with reasons; apply only that pair.
    c.goto(&format!("{}{acme}/suggestions", app.base)).await.unwrap();
    let pair = "//tr[contains(@class,'pair')][th[contains(., 'Nina Roth')]]";
    let row = c.find(Locator::XPath(pair)).await.unwrap().text().await.unwrap();
    assert!(row.contains("Carla Diaz") && row.contains("carbon footprint"), "{row}");
    browser.check_page("suggestions").await;
    for checkbox in c.find_all(Locator::Css("td.apply-pair input")).await.unwrap() {
        let label = checkbox.attr("aria-label").await.unwrap().unwrap_or_default();
        if label != "Apply Carla Diaz on Nina Roth" {
            checkbox.click().await.unwrap();
        }
    }
    browser.click("#confirm").await;
    browser.click("form.apply button").await;
    browser.arrive(&acme).await;
    let (class, text) = card_text(&browser, "Head of Procurement").await;
    assert!(!class.contains("uncovered") && text.contains("Carla Diaz"), "{class}: {text}");

    // The team's load and crafted jobs.
    c.goto(&format!("{}/app/team", app.base)).await.unwrap();
    assert!(browser.text("main").await.contains("Carla Diaz"));
    browser.check_page("team").await;

    // Signing out closes the pages.
    browser.click("form.sign-out button").await;
    browser.arrive("/app/sign-in").await;
    c.goto(&format!("{}{acme}", app.base)).await.unwrap();
    browser.arrive("/app/sign-in").await;
    assert!(browser.console_errors().await.is_empty());
}

/// A session of the workspace opened with `key` over plain HTTP: its cookie and CSRF token.
async fn sign_in(app: &TestApp, key: &str) -> (String, String) {
    let (form_cookie, token) = sign_in_form(app).await;
    let form = format!("key={}&csrf={token}", urlencode(key));
    let (status, headers, _) = post_form(app, "/app/sign-in", &form_cookie, form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set =
        headers.get_all("set-cookie").map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let session =
        set.iter().find(|c| c.starts_with("jobcraft_session=")).expect("a session cookie").clone();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/app", "Max-Age=28800"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    let cookie = session.split(';').next().unwrap().to_owned();
    let (status, _, page) =
        app.send_unfollowed(Method::GET, "/app/", &[("cookie".into(), cookie.clone())], None).await;
    assert_eq!(status, StatusCode::OK);
    (cookie, csrf_of(&page))
}

/// The sign-in form as a browser first gets it: its cookie (`name=value`) and CSRF token.
async fn sign_in_form(app: &TestApp) -> (String, String) {
    let (status, headers, body) = app.send_unfollowed(Method::GET, "/app/sign-in", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    (format!("jobcraft_sign_in={}", cookie(&headers, "jobcraft_sign_in")), csrf_of(&body))
}

/// A form posted with a cookie, as a browser posts it.
async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: String,
) -> (StatusCode, awc::http::header::HeaderMap, Vec<u8>) {
    app.send_unfollowed(Method::POST, path, &form_headers(cookie), Some(form.into_bytes())).await
}

fn opens_no_session(headers: &awc::http::header::HeaderMap) -> bool {
    headers.get_all("set-cookie").all(|c| !c.to_str().unwrap().starts_with("jobcraft_session="))
}

fn form_headers(cookie: &str) -> Vec<(String, String)> {
    vec![
        ("cookie".into(), cookie.to_owned()),
        ("content-type".into(), "application/x-www-form-urlencoded".into()),
    ]
}

fn cookie(headers: &awc::http::header::HeaderMap, name: &str) -> String {
    headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

fn csrf_of(page: &[u8]) -> String {
    let page = String::from_utf8_lossy(page);
    let at =
        page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn sessions_are_tenant_bound_csrf_checked_and_end_with_their_key(app: &TestApp) {
    let account = app.create("/v1/organizations", json!({"name": "Acme", "kind": "client"})).await;
    let post = app
        .create("/v1/posts", json!({"organization_id": account, "title": "Head of Procurement"}))
        .await;
    let nina = app.create("/v1/persons", json!({"display_name": "Nina"})).await;
    app.create("/v1/tenures", json!({"person_id": nina, "post_id": post, "started_on": "2026-01-01", "buying_roles": ["economic_buyer"]})).await;
    let own = app.create("/v1/organizations", json!({"name": "Us", "kind": "own"})).await;
    let ae = app.create("/v1/posts", json!({"organization_id": own, "title": "AE"})).await;
    let carla = app.create("/v1/persons", json!({"display_name": "Carla"})).await;
    app.create(
        "/v1/tenures",
        json!({"person_id": carla, "post_id": ae, "started_on": "2026-01-01"}),
    )
    .await;

    // Pages need a session: without one, to the sign-in page; a wrong key is refused there.
    let (status, headers, _) =
        app.send_unfollowed(Method::GET, &format!("/app/accounts/{account}"), &[], None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = format!("/app/sign-in?next=%2Fapp%2Faccounts%2F{account}");
    assert_eq!(headers.get("location").unwrap(), back.as_str(), "and back after signing in");
    let (_, _, page) = app.send_unfollowed(Method::GET, &back, &[], None).await;
    let page = String::from_utf8_lossy(&page).into_owned();
    assert!(page.contains(&format!("name=\"next\" value=\"/app/accounts/{account}\"")), "{page}");
    // Only the workspace's own pages are places to go back to.
    for elsewhere in ["https://evil.example/", "//evil.example/app/", "/docs/"] {
        let (_, _, page) = app
            .send_unfollowed(
                Method::GET,
                &format!("/app/sign-in?next={}", urlencode(elsewhere)),
                &[],
                None,
            )
            .await;
        assert!(
            String::from_utf8_lossy(&page).contains("name=\"next\" value=\"/app/\""),
            "{elsewhere}"
        );
    }
    let (_, headers, _) = app.send_unfollowed(Method::GET, "/app/sign-in", &[], None).await;
    let csp = headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let (form_cookie, token) = sign_in_form(app).await;
    let wrong = format!("key=jc_wrong&csrf={token}");
    let (status, headers, _) = post_form(app, "/app/sign-in", &form_cookie, wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(opens_no_session(&headers));
    // A sign-in without the form's own token (a cross-site form) is refused.
    let forged = format!("key={}&csrf=forged", urlencode(&app.key));
    let (status, _, _) = post_form(app, "/app/sign-in", &form_cookie, forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A key that may not read (a CRM's write-only sync key) opens no session.
    let writer_only = app.key_with(&[Scope::Write]);
    let (form_cookie, token) = sign_in_form(app).await;
    let form = format!("key={}&csrf={token}", urlencode(&writer_only));
    let (status, headers, page) = post_form(app, "/app/sign-in", &form_cookie, form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&page).contains("needs a key with the read scope"));
    assert!(opens_no_session(&headers));

    // A read-only key sees the map and suggestions, is told applying needs write, and is refused.
    let reader = app.key_with(&[Scope::Read]);
    let (session, csrf) = sign_in(app, &reader).await;
    let cookie_header = vec![("cookie".to_owned(), session.clone())];
    let (status, _, page) = app
        .send_unfollowed(Method::GET, &format!("/app/accounts/{account}"), &cookie_header, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("Nobody covers Nina"));
    let (status, _, page) = app
        .send_unfollowed(
            Method::GET,
            &format!("/app/accounts/{account}/suggestions"),
            &cookie_header,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("needs a key with the write scope") && !page.contains("form class=\"apply\""),
        "{page}"
    );
    let apply = format!("/app/accounts/{account}/suggestions/apply");
    let form = format!("csrf={csrf}&confirm=yes&pair={carla}:{nina}");
    let (status, _, _) = post_form(app, &apply, &session, form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A writer without the session's token, or with another session's, is refused; with it, applied.
    let (writer, writer_csrf) = sign_in(app, &app.key).await;
    for forged in ["", "csrf=", &format!("csrf={csrf}")] {
        let form = format!("{forged}&confirm=yes&pair={carla}:{nina}");
        let (status, _, _) = post_form(app, &apply, &writer, form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{forged}");
    }
    let links = app.get(&format!("/v1/coverage?stakeholder_id={nina}")).await;
    assert_eq!(
        links.body["items"].as_array().map_or(0, Vec::len),
        0,
        "nothing applied: {}",
        links.body
    );
    let form = format!("csrf={writer_csrf}&confirm=yes&pair={carla}:{nina}");
    let (status, _, _) = post_form(app, &apply, &writer, form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let links = app.get(&format!("/v1/coverage?stakeholder_id={nina}")).await;
    assert_eq!(links.body["items"][0]["salesperson_id"], json!(carla), "{}", links.body);

    // Another tenant's session finds none of this tenant's accounts or people.
    let other = app.other_tenant("elsewhere");
    let (stranger, _) = sign_in(app, &other).await;
    let stranger = vec![("cookie".to_owned(), stranger)];
    for path in [
        format!("/app/accounts/{account}"),
        format!("/app/accounts/{account}/suggestions"),
        format!("/app/accounts/{account}/coverage.csv"),
        format!("/app/accounts/{account}/people/{nina}"),
    ] {
        let (status, _, page) = app.send_unfollowed(Method::GET, &path, &stranger, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&page).contains("Nina"), "{path}");
    }

    // What the API answers with problem documents, the workspace answers with pages.
    for (path, status) in [
        ("/app/accounts/not-an-id".to_owned(), StatusCode::NOT_FOUND),
        ("/app/no-such-page".to_owned(), StatusCode::NOT_FOUND),
        (format!("/app/accounts/{account}?as_of=someday"), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (answered, headers, _) =
            app.send_unfollowed(Method::GET, &path, &cookie_header, None).await;
        assert_eq!(answered, status, "{path}");
        let content_type = headers.get("content-type").unwrap().to_str().unwrap();
        assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
    }

    // The CSV export, with names.
    let (status, headers, csv) = app
        .send_unfollowed(
            Method::GET,
            &format!("/app/accounts/{account}/coverage.csv"),
            &cookie_header,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let csv = String::from_utf8_lossy(&csv);
    assert!(
        csv.contains("Acme,Head of Procurement,Nina,economic_buyer,")
            && csv.contains(",Carla,primary,"),
        "{csv}"
    );

    // Revoking the key ends its sessions; signing out ends one.
    let key_id = jobcraft::domain::api_key::PresentedKey::parse(&reader).unwrap().key_id;
    app.db.write(|c| jobcraft::store::api_keys::revoke_key(c, key_id)).unwrap();
    let (status, _, _) = app
        .send_unfollowed(Method::GET, &format!("/app/accounts/{account}"), &cookie_header, None)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a revoked key's session is closed");
    let writer_header = vec![("cookie".to_owned(), writer.clone())];
    let (status, _, _) = post_form(app, "/app/sign-out", &writer, "csrf=forged".into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged sign-out is refused");
    let form = format!("csrf={writer_csrf}");
    let (status, _, _) = post_form(app, "/app/sign-out", &writer, form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = app.send_unfollowed(Method::GET, "/app/", &writer_header, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a signed-out session is closed");
}
