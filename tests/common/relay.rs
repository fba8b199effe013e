//! A TCP relay on 127.0.0.1 in front of the test server, for controlled
//! link faults:
//! - cut a connection right after the server confirms a COMMIT (the commit
//!   is durable but the client never hears of it, as when a cable is pulled);
//! - refuse: close every connection at once, and each new one as it comes;
//! - black-hole: accept and never answer (the realistic Wi-Fi failure):
//!   bytes in either direction are swallowed, sockets stay open;
//! - delay every chunk by some milliseconds.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASS: u8 = 0;
const REFUSE: u8 = 1;
const BLACK_HOLE: u8 = 2;

#[derive(Default)]
struct Shared {
    cut_next_commit: AtomicBool,
    cuts: AtomicUsize,
    mode: AtomicU8,
    delay_ms: AtomicU64,
    /// Every open socket (both ends of every relayed connection).
    open: Mutex<Vec<TcpStream>>,
}

pub struct Relay {
    pub port: u16,
    s: Arc<Shared>,
}

impl Relay {
    pub fn start(server_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = Arc::new(Shared::default());
        let shared = s.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                match shared.mode.load(Ordering::SeqCst) {
                    REFUSE => {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    }
                    BLACK_HOLE => {
                        // Accepted, then never answered.
                        let c2 = client.try_clone().unwrap();
                        shared.open.lock().unwrap().push(client);
                        std::thread::spawn(move || swallow(c2));
                        continue;
                    }
                    _ => {}
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else { continue };
                {
                    let mut open = shared.open.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = shared.clone();
                std::thread::spawn(move || pipe(c2, s2, &up, false));
                let down = shared.clone();
                std::thread::spawn(move || pipe(server, client, &down, true));
            }
        });
        Relay { port, s }
    }

    /// Cut the connection that next receives a COMMIT's confirmation.
    pub fn cut_after_next_commit(&self) {
        self.s.cut_next_commit.store(true, Ordering::SeqCst);
    }

    pub fn cuts(&self) -> usize {
        self.s.cuts.load(Ordering::SeqCst)
    }

    /// Close every open connection, and every new one.
    pub fn refuse(&self) {
        self.s.mode.store(REFUSE, Ordering::SeqCst);
        self.cut_all();
    }

    /// Accept and never answer; open connections go silent too.
    pub fn black_hole(&self) {
        self.s.mode.store(BLACK_HOLE, Ordering::SeqCst);
    }

    /// Relay again. Connections that were black-holed are closed (the bytes
    /// they lost would leave them out of step).
    pub fn restore(&self) {
        if self.s.mode.swap(PASS, Ordering::SeqCst) == BLACK_HOLE {
            self.cut_all();
        }
    }

    /// Hold every chunk this long before passing it on.
    pub fn delay(&self, d: Duration) {
        self.s.delay_ms.store(d.as_millis() as u64, Ordering::SeqCst);
    }

    fn cut_all(&self) {
        for s in self.s.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Read and drop everything until the socket closes.
fn swallow(mut from: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    while matches!(from.read(&mut buf), Ok(n) if n > 0) {}
}

/// Copy `from` to `to`; on the server side, watch for CommandComplete "COMMIT".
fn pipe(mut from: TcpStream, mut to: TcpStream, s: &Shared, from_server: bool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if s.mode.load(Ordering::SeqCst) == BLACK_HOLE {
            continue;
        }
        let delay = s.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay));
        }
        if from_server && s.cut_next_commit.load(Ordering::SeqCst) && buf[..n].windows(7).any(|w| w == b"COMMIT\0") {
            s.cut_next_commit.store(false, Ordering::SeqCst);
            s.cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
