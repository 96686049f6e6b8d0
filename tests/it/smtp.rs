//! A real SMTP server for the digest tests, in-process on 127.0.0.1: RFC 5321 greeting, EHLO,
//! optional STARTTLS (rustls, with a test CA and a `localhost` certificate made by rcgen) and AUTH
//! PLAIN, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT. It records every accepted
//! message and can be told to answer a temporary or permanent failure, to stall, or to hold its
//! answer to DATA after recording the message.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// How the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Accepts every message.
    Accept,
    /// Answers the end of DATA with `554` (a permanent refusal).
    Refuse,
    /// Accepts the connection and never answers.
    Stall,
}

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// Whether the session was upgraded with STARTTLS.
    pub tls: bool,
    /// The `AUTH PLAIN` user and password, if the client logged in.
    pub login: Option<(String, String)>,
}

struct State {
    mode: Mutex<Mode>,
    /// How long the answer to the end of DATA waits after the message was recorded.
    data_delay: Mutex<Duration>,
    received: Mutex<Vec<Received>>,
    connections: AtomicUsize,
    tls: Option<TlsAcceptor>,
}

/// The running server; stops when dropped.
pub struct SmtpServer {
    pub port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A test certificate authority and a `localhost` certificate it signed.
pub struct TestCert {
    /// The CA certificate, PEM: what the client is told to trust.
    pub ca_pem: String,
    cert: rustls::pki_types::CertificateDer<'static>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

impl TestCert {
    pub fn new() -> TestCert {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        TestCert {
            ca_pem: ca.pem(),
            cert: cert.der().clone(),
            key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }
}

impl SmtpServer {
    /// Starts a plain server on a free port.
    pub async fn start() -> SmtpServer {
        Self::start_on(0, None).await
    }

    /// Starts a server offering STARTTLS with `cert`.
    pub async fn start_tls(cert: &TestCert) -> SmtpServer {
        Self::start_on(0, Some(cert)).await
    }

    /// Starts a server on `port` (0: any free one).
    pub async fn start_on(port: u16, cert: Option<&TestCert>) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            mode: Mutex::new(Mode::Accept),
            data_delay: Mutex::new(Duration::ZERO),
            received: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            tls: cert.map(TestCert::acceptor),
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                st.connections.fetch_add(1, Ordering::SeqCst);
                let st = st.clone();
                tokio::spawn(async move {
                    let _ = session(socket, &st).await;
                });
            }
        });
        SmtpServer { port, state, task }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// Holds the answer to every accepted message's DATA this long after recording it, so that a
    /// client can die between the server taking the mail and learning that it did.
    pub fn set_data_delay(&self, delay: Duration) {
        *self.state.data_delay.lock().unwrap() = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` messages arrived (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} message(s) arrived within {timeout:?}, expected {n}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A free loopback port (bound and released), for a server started later.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn session(socket: tokio::net::TcpStream, st: &State) -> std::io::Result<()> {
    let mode = *st.mode.lock().unwrap();
    let mut io: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(socket));
    match mode {
        Mode::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Mode::Accept | Mode::Refuse => {}
    }
    io.get_mut().write_all(b"220 smtp.test ESMTP\r\n").await?;
    let (mut tls, mut login) = (false, None);
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let verb = cmd
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" => {
                let mut r = String::from("250-smtp.test\r\n250-8BITMIME\r\n");
                if st.tls.is_some() && !tls {
                    r.push_str("250-STARTTLS\r\n");
                }
                r.push_str("250 AUTH PLAIN\r\n");
                r
            }
            "STARTTLS" if st.tls.is_some() && !tls => {
                io.get_mut().write_all(b"220 go ahead\r\n").await?;
                let plain = io.into_inner();
                let stream = st.tls.as_ref().unwrap().accept(plain).await?;
                io = BufReader::new(Box::new(stream));
                tls = true;
                continue;
            }
            "AUTH" => {
                let arg = cmd.split_whitespace().nth(2).unwrap_or("");
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(arg)
                    .unwrap_or_default();
                let parts: Vec<String> = raw
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                if parts.len() == 3 {
                    login = Some((parts[1].clone(), parts[2].clone()));
                    "235 authenticated\r\n".into()
                } else {
                    "501 bad AUTH PLAIN\r\n".into()
                }
            }
            "MAIL" => {
                from = addr(&cmd);
                to.clear();
                "250 ok\r\n".into()
            }
            "RCPT" => {
                to.push(addr(&cmd));
                "250 ok\r\n".into()
            }
            "DATA" => {
                io.get_mut().write_all(b"354 end with .\r\n").await?;
                let mut data = Vec::new();
                loop {
                    let mut l = Vec::new();
                    if io.read_until(b'\n', &mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == b".\r\n" {
                        break;
                    }
                    let l = if l.starts_with(b"..") {
                        &l[1..]
                    } else {
                        &l[..]
                    };
                    data.extend_from_slice(l);
                }
                if *st.mode.lock().unwrap() == Mode::Refuse {
                    "554 5.7.1 message refused\r\n".into()
                } else {
                    st.received.lock().unwrap().push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                        tls,
                        login: login.clone(),
                    });
                    let delay = *st.data_delay.lock().unwrap();
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    "250 2.0.0 queued\r\n".into()
                }
            }
            "RSET" | "NOOP" => "250 ok\r\n".into(),
            "QUIT" => {
                io.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented\r\n".into(),
        };
        io.get_mut().write_all(reply.as_bytes()).await?;
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn addr(cmd: &str) -> String {
    cmd.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default()
}
