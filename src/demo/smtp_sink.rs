//! The demo's mail server, on loopback: just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
//! QUIT) for lettre to deliver the digest, keeping each message it accepts. Relays nothing.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The longest message kept (the digest is far smaller).
const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// The running sink and the messages it accepted, in arrival order.
#[derive(Clone)]
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl SmtpSink {
    /// Every message accepted so far, as received (dot-stuffing undone, CRLF line ends).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Starts the sink on an ephemeral loopback port; it accepts connections until `stop`.
pub async fn start(stop: CancellationToken) -> std::io::Result<SmtpSink> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let sink = SmtpSink {
        addr: listener.local_addr()?,
        messages: Arc::default(),
    };
    let kept = sink.messages.clone();
    tokio::spawn(async move {
        loop {
            let conn = tokio::select! {
                () = stop.cancelled() => return,
                c = listener.accept() => c,
            };
            match conn {
                Ok((stream, _)) => {
                    let (kept, stop) = (kept.clone(), stop.clone());
                    tokio::spawn(async move {
                        tokio::select! {
                            () = stop.cancelled() => {}
                            r = session(stream, kept) => if let Err(e) = r {
                                tracing::debug!(error = %e, "demo SMTP session ended");
                            }
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "demo SMTP sink cannot accept"),
            }
        }
    });
    Ok(sink)
}

/// One SMTP conversation.
async fn session(stream: TcpStream, kept: Arc<Mutex<Vec<Vec<u8>>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 briefwatch-demo ESMTP ready\r\n")
        .await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-briefwatch-demo\r\n250 8BITMIME\r\n",
            "HELO" => b"250 briefwatch-demo\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let message = read_data(&mut lines).await?;
                if let Ok(mut m) = kept.lock() {
                    m.push(message);
                }
                b"250 OK: queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The message after DATA, up to the line holding a single dot, with dot-stuffing undone.
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(message);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + unstuffed.len() <= MAX_MESSAGE_BYTES {
            message.extend_from_slice(unstuffed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_ends_at_the_lone_dot_and_leading_dots_are_unstuffed() {
        let mut input: &[u8] = b"Subject: x\r\n\r\n..hidden\r\nbody\r\n.\r\nQUIT\r\n";
        let message = read_data(&mut input).await.unwrap();
        assert_eq!(message, b"Subject: x\r\n\r\n.hidden\r\nbody\r\n");
    }
}
