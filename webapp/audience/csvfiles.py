"""Reading CSV files people export from spreadsheets and other tools: encoding, delimiter, streaming.

Files arrive as UTF-8 (with or without a byte order mark), UTF-16 with a BOM
(Excel's "Unicode text"), or in a legacy Windows code page. We never guess
silently: a fallback to Windows-1252 comes with a warning the person sees.
"""
import codecs
import csv
from collections import deque
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_SAMPLE_BYTES = 64 * 1024
_VALIDATE_BLOCK = 1024 * 1024
MAX_COLUMNS = 200
MAX_CELL_CHARS = 10_000
# A quoted cell may hold newlines, but a record this long is an opening quote that never closes.
MAX_RECORD_CHARS = 64 * 1024
UNCLOSED_QUOTE = "A quote in this line is never closed, so the rows after it would have run into one cell."
MISPLACED_QUOTE = "A quote in this line is not where CSV allows one ({})."


class UnreadableFile(ValueError):
    """The upload cannot be read as a CSV; str(error) says why, in words for people."""


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str
    warning: str | None = None

    @property
    def delimiter_name(self):
        return DELIMITER_NAMES[self.delimiter]


def _is_utf8(path):
    """Whole-file check, in blocks, so a bad byte on line 90,000 is found before the import starts."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as file:
            while block := file.read(_VALIDATE_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(path, head):
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None  # the codec reads the BOM and picks the byte order
    if b"\0" in head:
        raise UnreadableFile("This does not look like a CSV file: it contains binary data. "
                             "Save your spreadsheet as “CSV (comma-separated values)” and upload that.")
    if _is_utf8(path):
        return "utf-8", None
    warning = ("The file is not UTF-8, so it was read as Windows-1252 (Western European). "
               "Check that accented names look right in the preview; if not, save the file as “CSV UTF-8” and upload it again.")
    try:
        with open(path, encoding="cp1252") as file:
            while file.read(_VALIDATE_BLOCK):
                pass
        return "cp1252", warning
    except UnicodeDecodeError:
        # Five byte values are undefined in cp1252; latin-1 maps every byte, so reading never fails.
        return "latin-1", warning.replace("Windows-1252", "Latin-1")


def _sniff_delimiter(sample):
    """The delimiter that splits the first lines into the most columns, the same number on each line."""
    lines = sample.splitlines()[:20]
    if len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def detect_format(path):
    """How to read the file at `path`; raises UnreadableFile for empty and binary files."""
    with open(path, "rb") as file:
        head = file.read(_SAMPLE_BYTES)
    if not head.strip():
        raise UnreadableFile("The file is empty.")
    encoding, warning = _detect_encoding(path, head)
    with open(path, encoding=encoding, errors="replace", newline="") as file:
        sample = file.read(_SAMPLE_BYTES)
    if "\0" in sample:
        raise UnreadableFile("This does not look like a CSV file: it contains binary data. "
                             "Save your spreadsheet as “CSV (comma-separated values)” and upload that.")
    return CsvFormat(encoding, _sniff_delimiter(sample), warning)


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The file's physical lines for csv.reader, remembering those the current record took so that
    a malformed record can hand back all but its first line to be read again."""

    def __init__(self, file):
        self._file, self._pending, self.taken, self._chars = file, deque(), [], 0

    def start_record(self):
        self.taken, self._chars = [], 0

    def give_back(self):
        """Every line of the current record but its first is read again, as records of their own."""
        self._pending.extendleft(reversed(self.taken[1:]))

    def __iter__(self):
        return self

    def __next__(self):
        line = self._pending.popleft() if self._pending else next(self._file)
        self.taken.append(line)
        self._chars += len(line)
        if self._chars > MAX_RECORD_CHARS:
            raise _RecordTooLong
        return line


class CsvRows:
    """Streams (line number, cells, problem) triples; the line is where the record starts in the file, header = line 1.

    A quoted cell may hold newlines, so a record can span several physical lines. A record that
    csv's strict mode refuses, or that runs past MAX_RECORD_CHARS (an unbalanced quote swallowing
    the rest of the file), comes with cells [] and the problem in words; reading goes on with the
    line after the one where that record began, so one stray quote costs one row, not the file.
    """

    def __init__(self, path, csv_format):
        self.path, self.format = path, csv_format

    def __enter__(self):
        self._file = open(self.path, encoding=self.format.encoding, newline="")
        self._lines = _Lines(self._file)
        self._reader = csv.reader(self._lines, delimiter=self.format.delimiter, strict=True)
        return self

    def __exit__(self, *exc):
        self._file.close()

    def __iter__(self):
        lines, start = self._lines, 1
        while True:
            lines.start_record()
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except (csv.Error, _RecordTooLong) as error:
                if not lines.taken:  # nothing left to read
                    return
                lines.give_back()
                yield start, [], _problem(error, len(lines.taken))
                start += 1
                continue
            yield start, cells, None
            start += len(lines.taken)


def _problem(error, lines_taken):
    if isinstance(error, _RecordTooLong):
        return UNCLOSED_QUOTE if lines_taken > 1 else f"This line is longer than {MAX_RECORD_CHARS // 1024} KB."
    if lines_taken > 1 or "end of data" in str(error):  # the quote opened a cell that ran on into later lines
        return UNCLOSED_QUOTE
    return MISPLACED_QUOTE.format(error)


def formula_safe(cell):
    """Cells that a spreadsheet would run as a formula get a leading quote (CSV injection)."""
    if cell and cell[0] in "=+-@\t\r":
        return "'" + cell
    return cell
