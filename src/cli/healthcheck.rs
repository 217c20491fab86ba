//! `borderslot healthcheck`: the container's HEALTHCHECK. The runtime image has no curl, so
//! the binary asks its own `/healthz` over loopback with one plain HTTP/1.1 request; it is
//! synchronous and bounded by one timeout per step, so a hung server fails the check instead
//! of hanging it.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context;

/// The address to probe for a server listening on `listen_addr`: the same port, on loopback
/// when the server listens on every address (as it does in a container).
pub fn probe_addr(listen_addr: &str) -> anyhow::Result<SocketAddr> {
    let listen: SocketAddr = listen_addr
        .parse()
        .with_context(|| format!("LISTEN_ADDR {listen_addr:?} is not an address and port"))?;
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, listen.port()))
}

/// GETs `/healthz` at `addr`; Ok only on a `200` status line.
pub fn probe(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("Failed to connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    // One write: `write!` would send the request in pieces, and a server that answers on the
    // first piece and closes would reset the rest.
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("Failed to send the request to {addr}"))?;
    // The status line fits in the first read of any server that answers at all.
    let mut head = [0u8; 64];
    let read = stream
        .read(&mut head)
        .with_context(|| format!("No answer from {addr}"))?;
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status_line = status_line.lines().next().unwrap_or_default();
    anyhow::ensure!(
        status_line.split_whitespace().nth(1) == Some("200"),
        "/healthz at {addr} answered {status_line:?}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// Answers the first whole `/healthz` request with `answer`, as a server does: after the
    /// request's last header line. Other connections are closed unanswered (another test's port
    /// poller may reach this listener by chance).
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut request = Vec::new();
                let mut chunk = [0u8; 256];
                while !request.ends_with(b"\r\n\r\n") && request.len() < 4096 {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(read) => request.extend_from_slice(&chunk[..read]),
                    }
                }
                if request.starts_with(b"GET /healthz ") && request.ends_with(b"\r\n\r\n") {
                    let _ = stream.write_all(answer.as_bytes());
                    return;
                }
            }
        });
        addr
    }

    #[test]
    fn probe_addr_turns_a_wildcard_into_loopback_and_keeps_the_port() {
        assert_eq!(
            probe_addr("0.0.0.0:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            probe_addr("[::]:9000").unwrap(),
            "[::1]:9000".parse().unwrap()
        );
        assert_eq!(
            probe_addr("127.0.0.2:81").unwrap(),
            "127.0.0.2:81".parse().unwrap()
        );
        assert!(probe_addr("localhost").is_err());
    }

    #[test]
    fn probe_passes_on_200_and_fails_on_another_status() {
        let ok = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        probe(ok, Duration::from_secs(2)).unwrap();

        let unavailable = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let error = probe(unavailable, Duration::from_secs(2)).unwrap_err();
        assert!(error.to_string().contains("503"), "{error}");
    }

    #[test]
    fn probe_fails_when_nothing_listens() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port");
        assert!(probe(addr, Duration::from_secs(2)).is_err());
    }
}
