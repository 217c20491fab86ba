//! Real headless Chromium driving the pages through chromedriver (Debian's `chromium` and
//! `chromium-driver`). Each test starts its own chromedriver on a free loopback port and stops
//! it when done; screenshots of the key steps go to `target/screenshots/<test>/`.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

const CHROMEDRIVER: &str = "chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process of this test's own.
pub struct Driver {
    process: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver, or says why not: without it a test cannot run, which under CI is a
    /// failure and elsewhere a skip.
    pub async fn start() -> Option<Driver> {
        let missing = || {
            let message =
                "chromedriver and chromium are needed: apt-get install -y chromium chromium-driver";
            assert!(std::env::var("CI").is_err(), "{message}");
            eprintln!("skipped: {message}");
            None
        };
        if !std::path::Path::new(CHROMIUM).exists() {
            return missing();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // A process group of its own, so that stopping it stops every browser process it
        // started, helpers included.
        let Ok(process) = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return missing();
        };
        let driver = Driver {
            process,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        Some(driver)
    }

    /// A new browser with a profile of its own and a phone-sized window.
    pub async fn browser(&self, language: &str) -> Browser {
        let profile = TempDir::new().unwrap();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--window-size=412,900",
                    format!("--lang={language}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": { "intl.accept_languages": language },
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a session");
        Browser {
            client,
            _profile: profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
    }
}

pub struct Browser {
    pub client: Client,
    _profile: TempDir,
}

impl Browser {
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Waits until the page's main heading reads `heading`.
    pub async fn wait_for_heading(&self, heading: &str) {
        let started = std::time::Instant::now();
        loop {
            if let Ok(h1) = self.client.find(Locator::Css("main h1")).await
                && h1.text().await.is_ok_and(|text| text.contains(heading))
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no page headed {heading:?}: {}",
                self.client.source().await.unwrap_or_default()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn screenshot(&self, test: &str, step: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = screenshot_dir(test);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{step}.png")), png).unwrap();
    }

    /// Runs axe-core's rules on the page and returns the serious and critical violations.
    pub async fn accessibility_violations(&self) -> Vec<Value> {
        self.client
            .execute(&axe_source(), Vec::new())
            .await
            .unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')) }))))
                    .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e) }]));",
                Vec::new(),
            )
            .await
            .unwrap();
        result
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .cloned()
            .collect()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

pub fn screenshot_dir(test: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(test)
}

/// axe-core as `npm ci` in `tests/browser` installed it.
fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run `npm ci --prefix tests/browser`",
            path.display()
        )
    })
}
