//! General helpers that know nothing of the chamber: files written whole
//! (`fs`), SHA-256 (`hash`), sizes in bytes (`size`), the run lock
//! (`lock`), the look of every workbook written (`book`), logging
//! (`logging`) and the one printer of rows as a table, CSV or JSON
//! (`print`).

pub mod book;
pub mod csv;
pub mod fs;
pub mod hash;
pub mod lock;
pub mod logging;
pub mod print;
pub mod size;
pub mod stat;
