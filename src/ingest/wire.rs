//! The pipe between the parent and a reader worker (this binary, run as
//! `chamberstat __reader-worker`).
//!
//! Parent → worker: one job per line, JSON ([`Job`]). Worker → parent:
//! frames of `[u32 length][u8 tag][payload]`. Rows and problems travel as
//! Arrow IPC (one stream per table per worker, so each table's schema
//! crosses once and every batch after it is only its buffers); the few
//! other messages are JSON. Nothing here is a published format: both ends
//! are the same binary. The parent checks every frame (its length, its
//! tag, each batch against the table's schema, every field of a summary),
//! since the worker is the side that reads untrusted files.

use std::io::{self, Write};

use anyhow::{bail, Context, Result};
use arrow_ipc::reader::StreamDecoder;
use arrow_ipc::writer::StreamWriter;
use duckdb::arrow::buffer::Buffer;
use serde::{Deserialize, Serialize};

use super::batch::Event;
use super::batch::{Batch, Table};
use super::model::{FileSummary, InputFile, Problem, SheetSummary};
use super::send::Transport;
use crate::contract::schema::FolderKind;

pub const TAG_READY: u8 = 1;
pub const TAG_BATCH: u8 = 2;
pub const TAG_WITHDRAW: u8 = 3;
pub const TAG_DONE: u8 = 4;
pub const TAG_FAILED: u8 = 5;
pub const TAG_FLUSHED: u8 = 6;
pub const TAG_JOB: u8 = 7;

/// The longest frame a parent accepts. A worker's largest is one batch of
/// `BATCH_ROWS` rows, each cell at most `--max-cell-chars` characters.
pub const MAX_FRAME: usize = 1 << 30;

/// What the parent asks of a worker.
#[derive(Debug, Serialize, Deserialize)]
pub enum Job {
    Read(ReadJob),
    Annotate(AnnotateJob),
}

/// A path across the pipe: as text, or as bytes when it is not UTF-8.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathBytes {
    Text(String),
    Bytes(Vec<u8>),
}

impl PathBytes {
    pub fn of(path: &std::path::Path) -> Self {
        use std::os::unix::ffi::OsStrExt;
        match path.to_str() {
            Some(s) => PathBytes::Text(s.to_string()),
            None => PathBytes::Bytes(path.as_os_str().as_bytes().to_vec()),
        }
    }

    pub fn path(&self) -> std::path::PathBuf {
        use std::os::unix::ffi::OsStrExt;
        match self {
            PathBytes::Text(s) => s.into(),
            PathBytes::Bytes(b) => std::ffi::OsStr::from_bytes(b).into(),
        }
    }
}

/// Read one input file.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadJob {
    /// Its index among the files of this ingest.
    pub file: usize,
    pub abs: PathBytes,
    pub rel: String,
    /// `None`: tell by its sheet names (`check` of a file outside a tree).
    pub folder: Option<FolderKind>,
    pub year: Option<i32>,
}

/// Write the annotated copy of one workbook (`check --annotate`).
#[derive(Debug, Serialize, Deserialize)]
pub struct AnnotateJob {
    pub abs: PathBytes,
    pub path: String,
    pub problems: Vec<Problem>,
    pub dir: PathBytes,
}

/// How a job other than a read went.
#[derive(Debug, Serialize, Deserialize)]
pub struct JobReply {
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct DoneWire {
    file: usize,
    summary: SummaryWire,
}

#[derive(Debug, Serialize, Deserialize)]
struct WithdrawWire {
    file: usize,
    sheet: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FailedWire {
    file: usize,
    message: String,
}

/// A [`FileSummary`] without the file (the parent has it).
#[derive(Debug, Serialize, Deserialize)]
pub struct SummaryWire {
    sha256: String,
    bytes: u64,
    accepted: bool,
    data_rows: u64,
    sheets: Vec<SheetSummary>,
}

impl SummaryWire {
    fn of(s: &FileSummary) -> Self {
        SummaryWire {
            sha256: s.sha256.clone(),
            bytes: s.bytes,
            accepted: s.accepted,
            data_rows: s.data_rows,
            sheets: s.sheets.clone(),
        }
    }

    pub fn into_summary(self, file: InputFile) -> FileSummary {
        FileSummary {
            file,
            sha256: self.sha256,
            bytes: self.bytes,
            accepted: self.accepted,
            data_rows: self.data_rows,
            sheets: self.sheets,
        }
    }
}

pub fn write_frame(w: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    write_frame_parts(w, tag, &[payload])
}

/// A frame whose payload is `parts` one after another (no copy to join them).
fn write_frame_parts(w: &mut impl Write, tag: u8, parts: &[&[u8]]) -> io::Result<()> {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    let len = u32::try_from(n + 1).map_err(|_| io::Error::other("frame too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&[tag])?;
    for p in parts {
        w.write_all(p)?;
    }
    Ok(())
}

/// Bytes read from a worker, cut into frames.
#[derive(Default)]
pub struct Frames {
    buf: Vec<u8>,
    start: usize,
}

impl Frames {
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame: its tag and payload.
    pub fn next(&mut self) -> Result<Option<(u8, Vec<u8>)>> {
        let rest = &self.buf[self.start..];
        let Some(head) = rest.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if len == 0 || len > MAX_FRAME {
            bail!("a frame of {len} bytes");
        }
        let Some(frame) = rest.get(4..4 + len) else {
            return Ok(None);
        };
        let out = (frame[0], frame[1..].to_vec());
        self.start += 4 + len;
        if self.start > (1 << 20) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(Some(out))
    }
}

/// A worker's events, as frames on its standard output.
pub struct WireOut<W: Write> {
    out: W,
    encoders: Vec<Option<StreamWriter<Vec<u8>>>>,
}

impl<W: Write> WireOut<W> {
    pub fn new(out: W) -> Self {
        WireOut {
            out,
            encoders: Table::all().map(|_| None).collect(),
        }
    }

    pub fn frame(&mut self, tag: u8, payload: &[u8]) {
        let written = write_frame(&mut self.out, tag, payload);
        self.sent(tag, written);
    }

    /// After a frame: flush what the parent must see now (it times each
    /// file from its last report); exit when the parent is gone.
    fn sent(&mut self, tag: u8, written: io::Result<()>) {
        let flushed = written.and_then(|()| match tag {
            TAG_BATCH | TAG_WITHDRAW => Ok(()),
            _ => self.out.flush(),
        });
        if flushed.is_err() {
            // Nobody is left to read for.
            std::process::exit(crate::EXIT_COULD_NOT_RUN.into());
        }
    }

    /// A batch as a frame: its table's index, then its IPC message (and the
    /// table's schema before its first batch).
    fn batch(&mut self, batch: &Batch) -> Result<()> {
        let i = batch.table.index();
        if self.encoders[i].is_none() {
            self.encoders[i] = Some(StreamWriter::try_new(Vec::new(), &batch.table.schema())?);
        }
        let enc = self.encoders[i].as_mut().context("encoder")?;
        enc.write(&batch.rows)?;
        let written = write_frame_parts(&mut self.out, TAG_BATCH, &[&[i as u8], enc.get_ref()]);
        enc.get_mut().clear();
        self.sent(TAG_BATCH, written);
        Ok(())
    }
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

impl<W: Write> Transport for WireOut<W> {
    fn send(&mut self, event: Event) {
        let (tag, payload) = match event {
            Event::Batch(batch) => match self.batch(&batch) {
                Ok(()) => return,
                Err(e) => (
                    TAG_FAILED,
                    json(&FailedWire {
                        file: usize::MAX,
                        message: format!("cannot encode a batch of {}: {e:#}", batch.table.name()),
                    }),
                ),
            },
            Event::Withdraw { file, sheet } => (TAG_WITHDRAW, json(&WithdrawWire { file, sheet })),
            Event::Done { file, summary } => (
                TAG_DONE,
                json(&DoneWire {
                    file,
                    summary: SummaryWire::of(&summary),
                }),
            ),
            Event::Failed { file, message } => (TAG_FAILED, json(&FailedWire { file, message })),
            Event::Void { .. } => return,
        };
        self.frame(tag, &payload);
    }

    fn flushed(&mut self) {
        self.frame(TAG_FLUSHED, &[]);
    }
}

/// What one frame from a worker says, decoded and checked.
pub enum Frame {
    Ready,
    Batches(Vec<Batch>),
    Withdraw {
        file: usize,
        sheet: Option<String>,
    },
    /// A file read; the parent fills in the file it asked for.
    Done {
        file: usize,
        summary: SummaryWire,
    },
    Failed {
        file: usize,
        message: String,
    },
    Flushed,
    Job(JobReply),
}

/// The decoding state of one worker's frames: one Arrow stream per table.
pub struct Decoder {
    streams: Vec<StreamDecoder>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            streams: Table::all().map(|_| StreamDecoder::new()).collect(),
        }
    }
}

impl Decoder {
    pub fn decode(&mut self, tag: u8, payload: Vec<u8>) -> Result<Frame> {
        Ok(match tag {
            TAG_READY => Frame::Ready,
            TAG_BATCH => Frame::Batches(self.batches(payload)?),
            TAG_WITHDRAW => {
                let w: WithdrawWire = serde_json::from_slice(&payload)?;
                Frame::Withdraw {
                    file: w.file,
                    sheet: w.sheet,
                }
            }
            TAG_DONE => {
                let d: DoneWire = serde_json::from_slice(&payload)?;
                Frame::Done {
                    file: d.file,
                    summary: d.summary,
                }
            }
            TAG_FAILED => {
                let f: FailedWire = serde_json::from_slice(&payload)?;
                Frame::Failed {
                    file: f.file,
                    message: f.message,
                }
            }
            TAG_FLUSHED => Frame::Flushed,
            TAG_JOB => Frame::Job(serde_json::from_slice(&payload)?),
            other => bail!("a frame with the unknown tag {other}"),
        })
    }

    fn batches(&mut self, payload: Vec<u8>) -> Result<Vec<Batch>> {
        let i = usize::from(*payload.first().context("an empty batch frame")?);
        let table = Table::from_index(i).with_context(|| format!("a batch of the unknown table {i}"))?;
        let mut buf = Buffer::from(payload).slice(1);
        let mut out = Vec::new();
        let expected = table.schema();
        while !buf.is_empty() {
            if let Some(rows) = self.streams[i].decode(&mut buf)? {
                anyhow::ensure!(
                    rows.schema().fields() == expected.fields(),
                    "a batch of {} whose columns are not the table's",
                    table.name()
                );
                out.push(Batch { table, rows });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::SheetKind;
    use crate::ingest::{Disposition, Problem, TableBatch};

    fn frames_of(bytes: &[u8]) -> Vec<Frame> {
        let mut frames = Frames::default();
        let mut decoder = Decoder::default();
        // Fed a few bytes at a time, as a pipe hands them over.
        let mut out = Vec::new();
        for chunk in bytes.chunks(7) {
            frames.extend(chunk);
            while let Some((tag, payload)) = frames.next().unwrap() {
                out.push(decoder.decode(tag, payload).unwrap());
            }
        }
        out
    }

    #[test]
    fn batches_and_messages_cross_the_pipe_unchanged() {
        let mut problems = TableBatch::new(Table::Problems);
        let p = Problem::of_file(
            Disposition::RejectedFile,
            "2024/companies/a.xlsx",
            "原因 / reason",
        );
        problems.push_problem(Some(2024), &p).unwrap();
        let batch = problems.take().unwrap().unwrap();
        let mut out = WireOut::new(Vec::new());
        out.frame(TAG_READY, &[]);
        // Twice: the second batch of a table crosses without its schema.
        out.send(Event::Batch(batch.clone()));
        out.send(Event::Batch(batch.clone()));
        out.send(Event::Withdraw {
            file: 3,
            sheet: Some("年度数据".into()),
        });
        out.flushed();
        let frames = frames_of(&out.out);
        assert_eq!(frames.len(), 5);
        assert!(matches!(frames[0], Frame::Ready));
        for f in &frames[1..3] {
            let Frame::Batches(b) = f else {
                panic!("not a batch")
            };
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].table, Table::Problems);
            assert_eq!(b[0].rows, batch.rows);
        }
        assert!(matches!(&frames[3], Frame::Withdraw { file: 3, sheet: Some(s) } if s == "年度数据"));
        assert!(matches!(frames[4], Frame::Flushed));
    }

    #[test]
    fn a_frame_the_parent_cannot_trust_is_an_error() {
        let mut frames = Frames::default();
        frames.extend(&u32::MAX.to_le_bytes());
        assert!(frames.next().is_err());
        let mut decoder = Decoder::default();
        assert!(decoder.decode(99, vec![]).is_err());
        // A batch claiming a table that does not exist.
        assert!(decoder.decode(TAG_BATCH, vec![200]).is_err());
        // A batch of one table sent as another's: the schema check refuses it.
        let mut b = TableBatch::new(Table::Problems);
        b.push_problem(None, &Problem::of_file(Disposition::Note, "x", "y"))
            .unwrap();
        let mut out = WireOut::new(Vec::new());
        out.send(Event::Batch(b.take().unwrap().unwrap()));
        let mut bytes = out.out;
        bytes[5] = Table::Sheet(SheetKind::Members).index() as u8;
        let mut frames = Frames::default();
        frames.extend(&bytes);
        let (tag, payload) = frames.next().unwrap().unwrap();
        assert!(Decoder::default().decode(tag, payload).is_err());
    }
}
