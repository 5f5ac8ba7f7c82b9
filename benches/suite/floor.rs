//! The raw loopback floor: a minimal client and server that exchange the
//! same frame bytes as the engine and the simulator, over the same kind of
//! sockets (blocking loopback TCP, `TCP_NODELAY`), with the client's thread
//! layout (a reader thread, a writer thread and a dispatcher thread that
//! runs the "callback") and the simulator's (a reader thread and a writer
//! thread per connection), and nothing else: no XML, no state machine, no
//! core thread. Frames are cut by their 6-byte header and recognised by
//! their exact bytes (one hash lookup), which is all the logic there is.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{unbounded, Sender};

use crate::alloc::not_counted;

/// Cuts whole frames (header + payload) off a byte stream.
#[derive(Default)]
pub struct Cutter {
    pending: Vec<u8>,
}

impl Cutter {
    /// Appends `data` and calls `each` on every whole frame, in order.
    pub fn push(&mut self, data: &[u8], mut each: impl FnMut(&[u8])) {
        self.pending.extend_from_slice(data);
        let mut at = 0;
        while self.pending.len() - at >= 6 {
            let len = usize::from(u16::from_be_bytes([
                self.pending[at + 2],
                self.pending[at + 3],
            ]));
            let total = 4 + len.max(2);
            if self.pending.len() - at < total {
                break;
            }
            each(&self.pending[at..at + total]);
            at += total;
        }
        self.pending.drain(..at);
    }
}

/// What the floor server answers to a request frame: the frames to write,
/// one write each (as the simulator writes them).
pub type Replies = HashMap<Vec<u8>, Arc<Vec<Vec<u8>>>>;

/// Starts the floor server on a free loopback port; it serves until the
/// process ends. Returns the port.
pub fn serve(replies: Arc<Replies>) -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::Builder::new()
        .name("floor-accept".into())
        .spawn(move || {
            not_counted();
            for stream in listener.incoming().flatten() {
                let _ = stream.set_nodelay(true);
                let replies = replies.clone();
                let Ok(mut writer) = stream.try_clone() else {
                    continue;
                };
                let (tx, rx) = unbounded::<Arc<Vec<Vec<u8>>>>();
                let _ = thread::Builder::new()
                    .name("floor-srv-write".into())
                    .spawn(move || {
                        not_counted();
                        while let Ok(frames) = rx.recv() {
                            for f in frames.iter() {
                                if writer.write_all(f).is_err() {
                                    return;
                                }
                            }
                        }
                    });
                let _ = thread::Builder::new()
                    .name("floor-srv-read".into())
                    .spawn(move || {
                        not_counted();
                        read_frames(stream, |frame| {
                            if let Some(r) = replies.get(frame) {
                                let _ = tx.send(r.clone());
                            }
                        });
                    });
            }
        })?;
    Ok(port)
}

/// Reads `stream` until it ends, calling `each` on every frame.
pub fn read_frames(mut stream: TcpStream, mut each: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut cutter = Cutter::default();
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => cutter.push(&buf[..n], &mut each),
        }
    }
}

/// The floor's client: reader -> dispatcher (runs `handler` on each frame,
/// which may queue frames to write) and writer.
pub struct FloorClient {
    stream: TcpStream,
    writer: Option<Sender<Vec<u8>>>,
    threads: Vec<JoinHandle<()>>,
}

impl FloorClient {
    pub fn connect(
        port: u16,
        mut handler: impl FnMut(&[u8], &Sender<Vec<u8>>) + Send + 'static,
    ) -> std::io::Result<FloorClient> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        let (wtx, wrx) = unbounded::<Vec<u8>>();
        let (dtx, drx) = unbounded::<Vec<u8>>();
        let mut w = stream.try_clone()?;
        let r = stream.try_clone()?;
        let writer = thread::Builder::new()
            .name("floor-write".into())
            .spawn(move || {
                while let Ok(frame) = wrx.recv() {
                    if w.write_all(&frame).is_err() {
                        return;
                    }
                }
            })?;
        let wtx2 = wtx.clone();
        let dispatcher = thread::Builder::new()
            .name("floor-dispatch".into())
            .spawn(move || {
                while let Ok(frame) = drx.recv() {
                    handler(&frame, &wtx2);
                }
            })?;
        let reader = thread::Builder::new()
            .name("floor-read".into())
            .spawn(move || {
                read_frames(r, |frame| {
                    let _ = dtx.send(frame.to_vec());
                })
            })?;
        Ok(FloorClient {
            stream,
            writer: Some(wtx),
            threads: vec![writer, dispatcher, reader],
        })
    }

    pub fn send(&self, frame: Vec<u8>) {
        if let Some(w) = &self.writer {
            let _ = w.send(frame);
        }
    }
}

impl Drop for FloorClient {
    fn drop(&mut self) {
        // The reader sees the end of the stream and drops the dispatcher's
        // queue; the dispatcher then drops its writer handle, ours goes here.
        let _ = self.stream.shutdown(Shutdown::Both);
        self.writer = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
