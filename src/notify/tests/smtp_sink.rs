//! Just enough of an SMTP server to accept mail from lettre and remember it.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Default)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// Headers and body as sent after `DATA`, with dot-stuffing undone.
    pub data: String,
}

#[derive(Default)]
struct Recorded {
    connections: usize,
    mails: Vec<ReceivedMail>,
}

pub struct SmtpSink {
    pub port: u16,
    recorded: Arc<Mutex<Recorded>>,
}

impl SmtpSink {
    /// A server that accepts every message.
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A server that answers every `RCPT TO` with `reply`, such as `550 no such user`.
    pub async fn start_rejecting_recipients(reply: &'static str) -> Self {
        Self::start_with(Some(reply)).await
    }

    async fn start_with(rcpt_rejection: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let sink_recorded = Arc::clone(&recorded);
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                sink_recorded.lock().unwrap().connections += 1;
                let recorded = Arc::clone(&sink_recorded);
                actix_web::rt::spawn(serve(stream, recorded, rcpt_rejection));
            }
        });
        Self { port, recorded }
    }

    pub fn mails(&self) -> Vec<ReceivedMail> {
        self.recorded.lock().unwrap().mails.clone()
    }

    pub fn connections(&self) -> usize {
        self.recorded.lock().unwrap().connections
    }
}

async fn serve(
    stream: TcpStream,
    recorded: Arc<Mutex<Recorded>>,
    rcpt_rejection: Option<&'static str>,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut mail = ReceivedMail::default();
    writer.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" => "250 sink.test".to_owned(),
            "MAIL" => {
                mail.mail_from = angle_bracketed(&command);
                "250 OK".to_owned()
            }
            "RCPT" => match rcpt_rejection {
                Some(rejection) => rejection.to_owned(),
                None => {
                    mail.rcpt_to.push(angle_bracketed(&command));
                    "250 OK".to_owned()
                }
            },
            "DATA" => {
                writer
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                mail.data = read_data(&mut reader).await?;
                recorded
                    .lock()
                    .unwrap()
                    .mails
                    .push(std::mem::take(&mut mail));
                "250 OK queued".to_owned()
            }
            "RSET" => {
                mail = ReceivedMail::default();
                "250 OK".to_owned()
            }
            "NOOP" => "250 OK".to_owned(),
            "QUIT" => {
                writer.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 Command not implemented".to_owned(),
        };
        writer.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 || line == ".\r\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// `MAIL FROM:<a@b> SIZE=1` → `a@b`.
fn angle_bracketed(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}
