//! The network between an app under test and the real server, with the failures a phone meets:
//! a [`Gate`] is a TCP relay on 127.0.0.1 (port 0) in front of the server that can be switched
//! off (every connection is cut: the app sees no network), or told to answer a request the way a
//! reverse proxy in trouble does (a 503 or 504 of its own, or a 200 whose body is not the
//! server's) or to lose the server's answer after the server has acted on the request. It does
//! not look at anything but the request line and `Content-Length`, and it never invents what the
//! server would say: every answer a test sees either comes from the server or is the proxy's own
//! plain-text error.
//!
//! Threads, not async, so it serves blocking and async clients alike.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the gate does to a request that matches a [`Gate::fail`] rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The proxy answers with this status and a plain-text body; the server never sees it.
    Answer(u16),
    /// The request reaches the server, which acts on it; its answer is cut off on the way back.
    LoseAnswer,
}

struct Rule {
    /// Part of the request line's path (e.g. `/submissions`).
    path: String,
    fault: Fault,
    times: usize,
}

#[derive(Default)]
struct State {
    online: bool,
    rules: Vec<Rule>,
    /// Both ends of every open relayed connection, to cut them when going offline.
    conns: HashMap<u64, (TcpStream, TcpStream)>,
    next_conn: u64,
    /// The path of every request that reached the gate while it was online, in order.
    paths: Vec<String>,
}

/// A relay in front of the server at `target`; see the module documentation.
pub struct Gate {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Gate {
    /// Starts a gate (online) relaying to `target`, e.g. the test server's address.
    pub fn start(target: SocketAddr) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the gate");
        let addr = listener.local_addr().expect("gate address");
        let state = Arc::new(Mutex::new(State {
            online: true,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, halt) = (state.clone(), stop.clone());
        std::thread::Builder::new()
            .name("gate".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if halt.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    if !lock(&s).online {
                        // No network: the connection is dropped at once.
                        drop(client);
                        continue;
                    }
                    let Ok(server) = TcpStream::connect(target) else {
                        continue;
                    };
                    let s = s.clone();
                    let _ = std::thread::Builder::new()
                        .name("gate-conn".into())
                        .spawn(move || relay(client, server, s));
                }
            })
            .expect("gate thread");
        Gate { addr, state, stop }
    }

    /// `http://127.0.0.1:<port>`: what the app is pointed at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches the network on or off. Off: every open connection is cut and every new one is
    /// dropped on arrival, so the client sees no network (nothing reaches the server).
    pub fn set_online(&self, online: bool) {
        let mut st = lock(&self.state);
        st.online = online;
        if !online {
            for (_, (a, b)) in st.conns.drain() {
                let _ = a.shutdown(Shutdown::Both);
                let _ = b.shutdown(Shutdown::Both);
            }
        }
    }

    /// The next `times` requests whose path contains `path` meet `fault`.
    pub fn fail(&self, path: &str, fault: Fault, times: usize) {
        lock(&self.state).rules.push(Rule {
            path: path.to_owned(),
            fault,
            times,
        });
    }

    /// How many requests reached the gate while it was online.
    pub fn requests(&self) -> usize {
        lock(&self.state).paths.len()
    }

    /// How many of them had a path containing `part`.
    pub fn requests_to(&self, part: &str) -> usize {
        lock(&self.state)
            .paths
            .iter()
            .filter(|p| p.contains(part))
            .count()
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.set_online(false);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a connection's two directions share.
#[derive(Default)]
struct Conn {
    /// The server's answer to the current request has started: the client's next bytes are a
    /// new request.
    answered: AtomicBool,
    /// Cut the connection instead of relaying the answer ([`Fault::LoseAnswer`]).
    lose_answer: AtomicBool,
}

fn relay(client: TcpStream, server: TcpStream, state: Arc<Mutex<State>>) {
    let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
        client.try_clone(),
        server.try_clone(),
        client.try_clone(),
        server.try_clone(),
    ) else {
        return;
    };
    let id = {
        let mut st = lock(&state);
        st.next_conn += 1;
        let id = st.next_conn;
        st.conns.insert(id, (c3, s3));
        id
    };
    let conn = Arc::new(Conn::default());
    let back = {
        let conn = conn.clone();
        std::thread::spawn(move || server_to_client(s2, c2, &conn))
    };
    client_to_server(client, server, &conn, &state);
    let _ = back.join();
    lock(&state).conns.remove(&id);
}

/// Relays the server's answers; cuts the connection when an answer is to be lost.
fn server_to_client(mut server: TcpStream, mut client: TcpStream, conn: &Conn) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if conn.lose_answer.load(Ordering::SeqCst) {
            break;
        }
        conn.answered.store(true, Ordering::SeqCst);
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// Relays the client's requests, reading each request's head to apply the rules.
fn client_to_server(
    mut client: TcpStream,
    mut server: TcpStream,
    conn: &Conn,
    state: &Mutex<State>,
) {
    let mut buf = [0u8; 16 * 1024];
    // Bytes of a request head not yet complete (a new request starts the connection).
    let mut head: Option<Vec<u8>> = Some(Vec::new());
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if conn.answered.swap(false, Ordering::SeqCst) {
            head = Some(Vec::new());
        }
        let Some(pending) = head.as_mut() else {
            if server.write_all(&buf[..n]).is_err() {
                break;
            }
            continue;
        };
        pending.extend_from_slice(&buf[..n]);
        let Some(end) = find(pending, b"\r\n\r\n") else {
            if pending.len() > 64 * 1024 {
                break;
            }
            continue;
        };
        let bytes = head.take().unwrap_or_default();
        let fault = take_fault(state, &bytes[..end]);
        match fault {
            Some(Fault::Answer(status)) => {
                let length = content_length(&bytes[..end]);
                let mut left = length.saturating_sub(bytes.len() - end - 4);
                while left > 0 {
                    match client.read(&mut buf[..left.min(16 * 1024)]) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => left -= n,
                    }
                }
                let _ = client.write_all(&proxy_answer(status));
                break;
            }
            Some(Fault::LoseAnswer) => conn.lose_answer.store(true, Ordering::SeqCst),
            None => {}
        }
        if server.write_all(&bytes).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// Counts the request and takes the first rule matching its request line, if any.
fn take_fault(state: &Mutex<State>, head: &[u8]) -> Option<Fault> {
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let path = String::from_utf8_lossy(line)
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let mut st = lock(state);
    st.paths.push(path.clone());
    let i = st.rules.iter().position(|r| path.contains(&r.path))?;
    let rule = &mut st.rules[i];
    let fault = rule.fault.clone();
    rule.times -= 1;
    if rule.times == 0 {
        st.rules.remove(i);
    }
    Some(fault)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// What a reverse proxy answers on its own: the status and a plain-text body (not the API's
/// problem+json), then it closes the connection.
fn proxy_answer(status: u16) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
    let body = format!("{status} {reason} (gate)");
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-request-per-connection echo server: answers `200 <path>`.
    fn echo() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let mut got = Vec::new();
                    while find(&got, b"\r\n\r\n").is_none() {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&got)
                        .lines()
                        .next()
                        .unwrap()
                        .to_owned();
                    let body = line.split(' ').nth(1).unwrap().to_owned();
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        addr
    }

    fn get(gate: &Gate, path: &str) -> Result<String, std::io::Error> {
        let mut s = TcpStream::connect(gate.addr)?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn relays_fails_on_request_and_goes_offline() {
        let gate = Gate::start(echo());
        assert!(get(&gate, "/a").unwrap().ends_with("\r\n\r\n/a"));
        gate.fail("/b", Fault::Answer(503), 1);
        assert!(get(&gate, "/b").unwrap().starts_with("HTTP/1.1 503"));
        assert!(get(&gate, "/b").unwrap().ends_with("/b"), "once only");
        gate.fail("/c", Fault::LoseAnswer, 1);
        assert_eq!(
            get(&gate, "/c").unwrap_or_default(),
            "",
            "the answer is lost"
        );
        gate.set_online(false);
        assert_eq!(get(&gate, "/a").unwrap_or_default(), "");
        gate.set_online(true);
        assert!(get(&gate, "/a").unwrap().ends_with("/a"));
        assert_eq!(gate.requests(), 5);
        assert_eq!(gate.requests_to("/b"), 2);
    }
}
