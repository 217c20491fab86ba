use std::sync::Arc;
use std::time::Duration;

use crate::clock::ManualClock;
use crate::notify::tests::fixtures::{SENDER, confirmation_for, event_time, quick_retry};
use crate::notify::tests::smtp_sink::SmtpSink;
use crate::notify::tests::webhook_receiver::WebhookReceiver;
use crate::notify::{
    NotificationKind, Notifier, NotifyConfig, NotifyError, RetryPolicy, SmtpSettings, WebhookBody,
    WebhookChannel, WebhookSettings, verify_signature,
};

const SECRET: &str = "shared-secret";

fn notifier_for(receiver: &WebhookReceiver, retry: RetryPolicy) -> Notifier {
    let webhook = WebhookSettings::new(&receiver.url, SECRET).unwrap();
    Notifier::from_config(
        &NotifyConfig::default()
            .with_webhook(webhook)
            .with_retry(retry),
    )
}

#[actix_web::test]
async fn a_webhook_post_is_signed_with_the_shared_secret() {
    let receiver = WebhookReceiver::always(200).await;
    let settings = WebhookSettings::new(&receiver.url, SECRET).unwrap();
    let channel =
        WebhookChannel::new(settings).with_clock(Arc::new(ManualClock::new(event_time())));
    let notifier = Notifier::new(vec![Box::new(channel)], quick_retry(1));
    let notification = confirmation_for("+372 5555 1234");

    notifier.send(&notification).await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let signature = request.signature.as_deref().expect("signature header");
    assert!(verify_signature(
        SECRET.as_bytes(),
        &request.body,
        signature
    ));
    assert!(!verify_signature(
        b"another-secret",
        &request.body,
        signature
    ));
    assert_eq!(request.method, "POST");
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    assert_eq!(request.event_id, Some(notification.event_id.to_string()));
    assert_eq!(
        request.timestamp,
        Some(event_time().timestamp().to_string())
    );
    let body: WebhookBody = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body.id, notification.event_id);
    assert_eq!(body.kind, NotificationKind::BookingConfirmed);
    assert_eq!(body.subject, notification.subject);
    assert_eq!(body.text, notification.text);
    let raw: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(raw["kind"], "booking_confirmed");
    assert_eq!(raw["booking_code"], "ABCD-2345");
}

#[actix_web::test]
async fn a_webhook_failing_twice_is_retried_until_it_answers_200() {
    let receiver = WebhookReceiver::start(&[500, 500], 200).await;
    let notifier = notifier_for(&receiver, quick_retry(5));
    let notification = confirmation_for("driver@example.com");

    notifier.send(&notification).await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    let expected_id = notification.event_id.to_string();
    assert!(
        requests
            .iter()
            .all(|r| r.event_id.as_deref() == Some(expected_id.as_str()))
    );
    assert!(requests.iter().all(|r| r.body == requests[0].body));
}

#[actix_web::test]
async fn a_webhook_that_always_fails_gives_an_error_after_attempts_max() {
    let receiver = WebhookReceiver::always(503).await;
    let notifier = notifier_for(&receiver, quick_retry(3));

    let error = notifier
        .send(&confirmation_for("driver@example.com"))
        .await
        .unwrap_err();

    match &error {
        NotifyError::ChannelFailed {
            channel: "webhook",
            attempts: 3,
            last,
        } => assert!(
            matches!(**last, NotifyError::WebhookStatus(503)),
            "{last:?}"
        ),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(error.is_retryable());
    assert_eq!(receiver.requests().len(), 3);
}

#[actix_web::test]
async fn a_webhook_refusing_the_request_is_not_retried() {
    let receiver = WebhookReceiver::always(400).await;
    let notifier = notifier_for(&receiver, quick_retry(5));

    let error = notifier
        .send(&confirmation_for("driver@example.com"))
        .await
        .unwrap_err();

    assert!(!error.is_retryable());
    assert_eq!(receiver.requests().len(), 1);
}

#[actix_web::test]
async fn a_webhook_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    actix_web::rt::spawn(async move {
        let mut silent = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            silent.push(stream);
        }
    });
    let mut settings = WebhookSettings::new(&url, SECRET).unwrap();
    settings.timeout = Duration::from_millis(100);
    let notifier = Notifier::new(
        vec![Box::new(WebhookChannel::new(settings))],
        quick_retry(1),
    );

    let error = notifier
        .send(&confirmation_for("driver@example.com"))
        .await
        .unwrap_err();

    match &error {
        NotifyError::ChannelFailed { last, .. } => {
            assert!(matches!(**last, NotifyError::WebhookRequest(_)), "{last:?}");
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[actix_web::test]
async fn a_failing_webhook_does_not_stop_the_email() {
    let sink = SmtpSink::start().await;
    let receiver = WebhookReceiver::always(500).await;
    let config = NotifyConfig::default()
        .with_smtp(SmtpSettings::new(
            "127.0.0.1",
            sink.port,
            SENDER.parse().unwrap(),
        ))
        .with_webhook(WebhookSettings::new(&receiver.url, SECRET).unwrap())
        .with_retry(quick_retry(2));
    let notifier = Notifier::from_config(&config);

    let error = notifier
        .send(&confirmation_for("driver@example.com"))
        .await
        .unwrap_err();

    assert!(matches!(
        error,
        NotifyError::ChannelFailed {
            channel: "webhook",
            ..
        }
    ));
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(receiver.requests().len(), 2);
}
