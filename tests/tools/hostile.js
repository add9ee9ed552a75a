// Writes workbooks that real submitters produce by accident and that the
// Rust writers cannot: .xlsb, .xls and .ods files with one stray value in
// the sheet's far corner (Excel's XFD1048576, .xls's IV65536), as a sheet
// formatted or typed into far from its table looks on disk. SheetJS writes
// the table; the stray cell is then added the way Excel and LibreOffice
// store it (one more row record / a repeated empty row), because SheetJS's
// writers walk every cell of the extent.
//
//   node tests/tools/hostile.js OUT_DIR
//
// Needs the npm package xlsx@0.18.5 on NODE_PATH (tests/streaming.rs installs it
// under ~/.cache/chamberstat-node on first use).
"use strict";
const fs = require("fs");
const path = require("path");
const XLSX = require("xlsx");
const CFB = XLSX.CFB;

const out = process.argv[2];
if (!out) { console.error("usage: hostile.js OUT_DIR"); process.exit(2); }
fs.mkdirSync(out, { recursive: true });

// Columns A, C, E: SheetJS writes a cell right after another as a "short"
// record (BrtShortSt …) that calamine 0.38 does not read, so the table
// leaves a column between its cells.
const table = [
  ["统一社会信用代码", null, "企业名称", null, "营业收入"],
  ["91310115F0WTCDKQQD", null, "甲公司", null, 12.5],
  ["91310104MA1FL3XK2R", null, "乙公司", null, 7],
];

function workbook(rows) {
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), "年度数据");
  return wb;
}

function entry(zip, name) {
  const i = zip.FullPaths.findIndex((p) => p.endsWith("/" + name));
  if (i < 0) throw new Error("no " + name + " in the container");
  return zip.FileIndex[i];
}

// --- .xls: a NUMBER record at IV65536 before the sheet's EOF. Records are
// (u16 type, u16 length, payload); the sheet is the stream's last substream,
// so no offset before it moves.
{
  const wb = workbook(table);
  const cfb = CFB.read(XLSX.write(wb, { bookType: "biff8", type: "buffer" }), { type: "buffer" });
  const stream = entry(cfb, "Workbook");
  const bin = Buffer.from(stream.content);
  let at = 0, eof = -1;
  while (at + 4 <= bin.length) {
    const type = bin.readUInt16LE(at), len = bin.readUInt16LE(at + 2);
    if (type === 0x000a) eof = at; // EOF: the last one ends the sheet
    at += 4 + len;
  }
  if (eof < 0) throw new Error("no EOF record in the workbook stream");
  const num = Buffer.alloc(18);
  num.writeUInt16LE(0x0203, 0); num.writeUInt16LE(14, 2);
  num.writeUInt16LE(65535, 4); num.writeUInt16LE(255, 6); num.writeUInt16LE(0x0f, 8); num.writeDoubleLE(1, 10);
  stream.content = Buffer.concat([bin.subarray(0, eof), num, bin.subarray(eof)]);
  stream.size = stream.content.length;
  fs.writeFileSync(path.join(out, "stray.xls"), CFB.write(cfb, { type: "buffer" }));
}

// --- .xlsb: insert a row header and a number cell at XFD1048576 before the
// sheet data ends. Records are (varint type, varint size, payload).
function varint(n) {
  const b = [];
  do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n);
  return b;
}
function record(type, payload) {
  return Buffer.concat([Buffer.from(varint(type)), Buffer.from(varint(payload.length)), payload]);
}
function readVarint(buf, at, max) {
  let v = 0, shift = 0, i = 0;
  for (; i < max; i++) { const b = buf[at + i]; v |= (b & 0x7f) << shift; shift += 7; if (!(b & 0x80)) { i++; break; } }
  return [v, i];
}
{
  const wb = workbook(table);
  const zip = CFB.read(XLSX.write(wb, { bookType: "xlsb", type: "buffer" }), { type: "buffer" });
  const sheet = entry(zip, "xl/worksheets/sheet1.bin");
  const bin = Buffer.from(sheet.content);
  let at = 0, end = -1;
  while (at < bin.length) {
    const [type, tl] = readVarint(bin, at, 2);
    const [size, sl] = readVarint(bin, at + tl, 4);
    if (type === 0x0092) { end = at; break; } // BrtEndSheetData
    at += tl + sl + size;
  }
  if (end < 0) throw new Error("no BrtEndSheetData in the sheet");
  const rowHdr = Buffer.alloc(17); rowHdr.writeUInt32LE(1048575, 0); rowHdr.writeUInt16LE(0x012c, 8);
  const cell = Buffer.alloc(16); cell.writeUInt32LE(16383, 0); cell.writeDoubleLE(1, 8);
  const stray = Buffer.concat([record(0x0000, rowHdr), record(0x0005, cell)]);
  sheet.content = Buffer.concat([bin.subarray(0, end), stray, bin.subarray(end)]);
  sheet.size = sheet.content.length;
  fs.writeFileSync(path.join(out, "stray.xlsb"), CFB.write(zip, { fileType: "zip", type: "buffer" }));
}

// --- .ods: LibreOffice stores the empty rows and columns as repeats.
{
  const wb = workbook(table);
  const zip = CFB.read(XLSX.write(wb, { bookType: "ods", type: "buffer" }), { type: "buffer" });
  const content = entry(zip, "content.xml");
  const xml = Buffer.from(content.content).toString("utf8");
  const filler =
    '<table:table-row table:number-rows-repeated="1048572"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>' +
    '<table:table-row><table:table-cell table:number-columns-repeated="16383"/>' +
    '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>';
  const at = xml.lastIndexOf("</table:table>");
  if (at < 0) throw new Error("no table in content.xml");
  content.content = Buffer.from(xml.slice(0, at) + filler + xml.slice(at), "utf8");
  content.size = content.content.length;
  fs.writeFileSync(path.join(out, "stray.ods"), CFB.write(zip, { fileType: "zip", type: "buffer" }));
}
// --- a password-protected .xlsx: Excel stores it as a compound file with
// EncryptionInfo and EncryptedPackage streams instead of a zip.
{
  const cfb = CFB.utils.cfb_new();
  const info = Buffer.alloc(64); info.writeUInt16LE(4, 0); info.writeUInt16LE(4, 2); info.writeUInt32LE(0x40, 4);
  CFB.utils.cfb_add(cfb, "EncryptionInfo", info);
  CFB.utils.cfb_add(cfb, "EncryptedPackage", Buffer.alloc(4096, 0x5a));
  fs.writeFileSync(path.join(out, "encrypted.xlsx"), CFB.write(cfb, { type: "buffer" }));
}
console.log("wrote stray.xls stray.xlsb stray.ods encrypted.xlsx to " + out);
