//! A TCP relay on 127.0.0.1 in front of the test server, which can cut a
//! connection right after the server confirms a COMMIT: the commit is
//! durable but the client never hears of it, as when a cable is pulled.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub struct Relay {
    pub port: u16,
    cut_next_commit: Arc<AtomicBool>,
    cuts: Arc<AtomicUsize>,
}

impl Relay {
    pub fn start(server_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut_next_commit = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (arm, count) = (cut_next_commit.clone(), cuts.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(("127.0.0.1", server_port)) else { continue };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(c2, s2, None));
                let (arm, count) = (arm.clone(), count.clone());
                std::thread::spawn(move || pipe(server, client, Some((arm, count))));
            }
        });
        Relay { port, cut_next_commit, cuts }
    }

    /// Cut the connection that next receives a COMMIT's confirmation.
    pub fn cut_after_next_commit(&self) {
        self.cut_next_commit.store(true, Ordering::SeqCst);
    }

    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

/// Copy `from` to `to`; on the server side, watch for CommandComplete "COMMIT".
fn pipe(mut from: TcpStream, mut to: TcpStream, watch: Option<(Arc<AtomicBool>, Arc<AtomicUsize>)>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((arm, cuts)) = &watch {
            if arm.load(Ordering::SeqCst) && buf[..n].windows(7).any(|w| w == b"COMMIT\0") {
                arm.store(false, Ordering::SeqCst);
                cuts.fetch_add(1, Ordering::SeqCst);
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
