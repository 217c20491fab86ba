use crate::notify::tests::fixtures::{SENDER, confirmation_for, quick_retry};
use crate::notify::tests::smtp_sink::SmtpSink;
use crate::notify::{Notifier, NotifyConfig, NotifyError, SmtpSettings};

fn notifier_for(sink: &SmtpSink, attempts_max: u32) -> Notifier {
    notifier_at(sink.port, attempts_max)
}

fn notifier_at(port: u16, attempts_max: u32) -> Notifier {
    let smtp = SmtpSettings::new("127.0.0.1", port, SENDER.parse().unwrap());
    Notifier::from_config(
        &NotifyConfig::default()
            .with_smtp(smtp)
            .with_retry(quick_retry(attempts_max)),
    )
}

/// The error of a confirmation to a driver's e-mail address that could not be sent.
async fn failed_confirmation(notifier: &Notifier) -> NotifyError {
    notifier
        .send(&confirmation_for("driver@example.com"))
        .await
        .unwrap_err()
}

/// How many times the SMTP channel tried before it gave up, when it is the channel that failed.
fn smtp_attempts(error: &NotifyError) -> Option<u32> {
    match error {
        NotifyError::ChannelFailed {
            channel: "smtp",
            attempts,
            ..
        } => Some(*attempts),
        _ => None,
    }
}

#[actix_web::test]
async fn a_confirmation_email_reaches_the_contact_and_carries_the_booking_code() {
    let sink = SmtpSink::start().await;
    let notifier = notifier_for(&sink, 3);
    let notification = confirmation_for("driver@example.com");

    notifier.send(&notification).await.unwrap();

    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.mail_from, SENDER);
    assert_eq!(mail.rcpt_to, ["driver@example.com"]);
    assert!(
        mail.data.contains("Subject: Booking ABCD-2345 confirmed"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("Booking code: ABCD-2345"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains(&format!(
            "Message-ID: <{}.booking_confirmed@",
            notification.event_id
        )),
        "{}",
        mail.data
    );
}

#[actix_web::test]
async fn a_phone_contact_gets_no_email() {
    let sink = SmtpSink::start().await;
    let notifier = notifier_for(&sink, 3);

    notifier
        .send(&confirmation_for("+372 5555 1234"))
        .await
        .unwrap();

    assert_eq!(sink.connections(), 0);
}

#[actix_web::test]
async fn a_permanent_rejection_is_reported_at_once_without_retrying() {
    let sink = SmtpSink::start_rejecting_recipients("550 5.1.1 No such user").await;
    let notifier = notifier_for(&sink, 5);

    let error = failed_confirmation(&notifier).await;

    assert_eq!(smtp_attempts(&error), Some(1), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(sink.connections(), 1);
}

#[actix_web::test]
async fn an_unreachable_relay_is_retried_then_reported_as_retryable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let notifier = notifier_at(port, 2);

    let error = failed_confirmation(&notifier).await;

    assert_eq!(smtp_attempts(&error), Some(2), "{error:?}");
    assert!(error.is_retryable());
}
