//! `bench sigs`: what Ed25519 costs a gate. Signature verification per
//! second (blocks signed by their gate will need at least 100k/s), codes
//! checked per second, GH2 against GH1, and the key slot's argon2id.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, ensure};
use uuid::Uuid;

use crate::cli::output::say;
use crate::decode::clock::thread_cpu as cpu;
use crate::domain::issuing::{self, Issuer};
use crate::domain::keys::KeyRing;
use crate::domain::keyslot::{self, KdfCost};
use crate::domain::payload::{self, Kind};

/// Best of `repeat` runs of `f`, in seconds of `clock`: this thread's CPU
/// time (other programs sharing the cores do not inflate it), or `wall`
/// for work spread over threads.
fn best(repeat: usize, clock: fn() -> Duration, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut s = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let t = clock();
        f()?;
        s = s.min((clock() - t).as_secs_f64());
    }
    Ok(s)
}

fn wall() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

pub fn run(n: usize, repeat: usize) -> Result<ExitCode> {
    let n = n.max(1);
    let issuer = Issuer::new("E1", issuing::generate()?);
    let public = issuer.public("E1").ok_or_else(|| anyhow!("no public key"))?;
    // A block's signature covers its 32-byte hash: that is the message.
    let msgs: Vec<[u8; 32]> = (0..n).map(|i| *hash_of(i)).collect();
    let sigs: Vec<[u8; 64]> = msgs.iter().map(|m| issuer.sign("E1", m).ok_or_else(|| anyhow!("cannot sign"))).collect::<Result<_>>()?;
    let one = best(repeat, cpu, || {
        let ok = msgs.iter().zip(&sigs).filter(|(m, s)| public.verify(&m[..], s)).count();
        ensure!(ok == n, "{ok} of {n} verified");
        Ok(())
    })?;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let all = best(repeat, wall, || {
        let chunk = n.div_ceil(cores);
        let ok: usize = std::thread::scope(|sc| {
            let hs: Vec<_> = msgs
                .chunks(chunk)
                .zip(sigs.chunks(chunk))
                .map(|(m, s)| {
                    let public = &public;
                    sc.spawn(move || m.iter().zip(s).filter(|(m, s)| public.verify(&m[..], s)).count())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        ensure!(ok == n, "{ok} of {n} verified");
        Ok(())
    })?;
    let load =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().map(str::to_string)).unwrap_or_default();
    say!(
        "ed25519 verify (strict) of {n} block hashes: {:.0}/s per core (thread CPU time), {:.0}/s wall on {cores} threads (load average {load})",
        n as f64 / one,
        n as f64 / all
    );

    for size in [64usize, 256] {
        let batched = best(repeat, cpu, || {
            for (m, s) in msgs.chunks(size).zip(sigs.chunks(size)) {
                let refs: Vec<&[u8]> = m.iter().map(|m| &m[..]).collect();
                ensure!(issuing::verify_batch(&public, &refs, s), "a batch failed");
            }
            Ok(())
        })?;
        say!("ed25519 batch verify, {size} a batch: {:.0}/s per core (thread CPU time)", n as f64 / batched);
    }
    let batched_all = best(repeat, wall, || {
        let chunk = n.div_ceil(cores);
        let ok = std::thread::scope(|sc| {
            let hs: Vec<_> = msgs
                .chunks(chunk)
                .zip(sigs.chunks(chunk))
                .map(|(m, s)| {
                    let public = &public;
                    sc.spawn(move || {
                        m.chunks(256).zip(s.chunks(256)).all(|(m, s)| {
                            let refs: Vec<&[u8]> = m.iter().map(|m| &m[..]).collect();
                            issuing::verify_batch(public, &refs, s)
                        })
                    })
                })
                .collect();
            hs.into_iter().all(|h| h.join().unwrap_or(false))
        });
        ensure!(ok, "a batch failed");
        Ok(())
    })?;
    say!("ed25519 batch verify, 256 a batch on {cores} threads: {:.0}/s wall", n as f64 / batched_all);

    let sign = best(repeat, cpu, || {
        for m in &msgs {
            issuer.sign("E1", m).ok_or_else(|| anyhow!("cannot sign"))?;
        }
        Ok(())
    })?;
    say!("ed25519 sign: {:.0}/s per core", n as f64 / sign);

    let mut ring = KeyRing::new(&[("01".into(), KeyRing::generate_key()?)]).ok_or_else(|| anyhow!("key ring"))?;
    ring.set_issuing(vec![public.clone()]);
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    let gh1: Vec<String> = ids.iter().map(|id| payload::encode(&ring, Kind::Pass, id)).collect();
    let gh2: Vec<String> = ids
        .iter()
        .map(|id| payload::encode_ed25519(&issuer, "E1", Kind::Pass, id).ok_or_else(|| anyhow!("cannot sign")))
        .collect::<Result<_>>()?;
    let check = |codes: &[String]| {
        best(repeat, cpu, || {
            let ok = codes.iter().filter(|c| payload::parse(c.as_bytes()).is_ok_and(|p| p.verify(&ring).is_ok())).count();
            ensure!(ok == n, "{ok} of {n} codes verified");
            Ok(())
        })
    };
    let (t1, t2) = (check(&gh1)?, check(&gh2)?);
    say!(
        "code check (parse + verify), per core: GH1 (HMAC, {} chars) {:.1} µs, GH2 (Ed25519, {} chars) {:.1} µs",
        gh1[0].len(),
        t1 * 1e6 / n as f64,
        gh2[0].len(),
        t2 * 1e6 / n as f64
    );
    for (name, code) in [("GH1", &gh1[0]), ("GH2", &gh2[0])] {
        let q = crate::qr::encode(code)?;
        say!(
            "{name} QR: version {} ({}x{} modules), level {:?}",
            crate::qr::version_number(&q),
            q.width(),
            q.width(),
            q.error_correction_level()
        );
    }

    let plain = issuer.to_plain();
    let slot = keyslot::seal(&plain, "bench", "bench password", KdfCost::STANDARD)?;
    let open = best(repeat.min(3), cpu, || {
        keyslot::unseal(&slot, "bench", "bench password")?;
        Ok(())
    })?;
    say!("key slot (argon2id m=64 MiB, t=3, p=1 + XChaCha20-Poly1305): {:.0} ms CPU to open, once per admin sign-in", open * 1000.0);
    Ok(ExitCode::SUCCESS)
}

/// Distinct 32-byte messages, as block hashes are.
fn hash_of(i: usize) -> Box<[u8; 32]> {
    use sha2::Digest;
    let d = sha2::Sha256::digest((i as u64).to_be_bytes());
    let mut out = Box::new([0u8; 32]);
    out.copy_from_slice(&d);
    out
}
