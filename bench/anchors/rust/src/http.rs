//! http.rs: the http_hello request parser and per-connection reply logic, in Rust.
//!
//! The same strict rules as bench/impl/common/http_parse.c (the C responders' parser), so every
//! runtime answers the same requests the same way: CRLF line ends, token method and field
//! names, no control bytes, HTTP/1.x only, one Host in 1.1, one consistent Content-Length, no
//! Transfer-Encoding, at most 16 KiB per request and 64 fields. Anything else is `Bad`: reply 400
//! and close. The parser is stateless: it re-scans what the connection has received so far.

/// The longest request (head + body) accepted.
pub const MAX_REQUEST: usize = 16384;
/// The most header fields a request may carry.
pub const MAX_HEADERS: usize = 64;

/// The outcome of parsing the start of a connection's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
    Bad,
    Incomplete,
    Complete { total_len: usize, keep_alive: bool, head: bool, minor: u8 },
}

/// An RFC 9110 token character (method and field names).
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// A byte allowed inside a field value (VCHAR, SP, HTAB, obs-text).
fn is_value_char(c: u8) -> bool {
    c == b'\t' || (c >= 0x20 && c != 0x7f)
}

/// The cursor over a connection's received bytes.
struct Scan<'a> {
    b: &'a [u8],
    at: usize,
}

/// A step that may run off the end (Incomplete) or hit an impossible byte (Bad).
type Step<T> = Result<T, Parse>;

impl Scan<'_> {
    /// The byte at the cursor, or Incomplete at the end of what has arrived.
    fn peek(&self) -> Step<u8> {
        self.b.get(self.at).copied().ok_or(Parse::Incomplete)
    }
    /// Consume "\r\n"; anything else there is Bad.
    fn crlf(&mut self) -> Step<()> {
        if self.peek()? != b'\r' {
            return Err(Parse::Bad);
        }
        self.at += 1;
        if self.peek()? != b'\n' {
            return Err(Parse::Bad);
        }
        self.at += 1;
        Ok(())
    }
    /// Skip token characters; the span they covered (possibly empty).
    fn token(&mut self) -> Step<(usize, usize)> {
        let start = self.at;
        while is_tchar(self.peek()?) {
            self.at += 1;
        }
        Ok((start, self.at))
    }
}

/// The request line, the fields and the framing checks, without the overall size rule.
fn parse_inner(s: &mut Scan) -> Step<Parse> {
    while s.peek()? == b'\r' {
        s.crlf()?;
    }
    let (ms, me) = s.token()?;
    if ms == me || s.peek()? != b' ' {
        return Err(Parse::Bad);
    }
    s.at += 1;
    let ts = s.at;
    while (0x21..0x7f).contains(&s.peek()?) {
        s.at += 1;
    }
    if s.at == ts || s.peek()? != b' ' {
        return Err(Parse::Bad);
    }
    s.at += 1;
    for &c in b"HTTP/1." {
        if s.peek()? != c {
            return Err(Parse::Bad);
        }
        s.at += 1;
    }
    let d = s.peek()?;
    if !d.is_ascii_digit() {
        return Err(Parse::Bad);
    }
    let minor = d - b'0';
    s.at += 1;
    s.crlf()?;
    let (mut hosts, mut fields) = (0usize, 0usize);
    let (mut length, mut has_length) = (0usize, false);
    let (mut close, mut keep) = (false, false);
    loop {
        if s.peek()? == b'\r' {
            s.crlf()?;
            break;
        }
        let (ns, ne) = s.token()?;
        if ns == ne || s.peek()? != b':' {
            return Err(Parse::Bad);
        }
        s.at += 1;
        while matches!(s.peek()?, b' ' | b'\t') {
            s.at += 1;
        }
        let vs = s.at;
        while is_value_char(s.peek()?) {
            s.at += 1;
        }
        let mut ve = s.at;
        s.crlf()?;
        while ve > vs && matches!(s.b[ve - 1], b' ' | b'\t') {
            ve -= 1;
        }
        fields += 1;
        if fields > MAX_HEADERS {
            return Err(Parse::Bad);
        }
        let name = &s.b[ns..ne];
        let value = &s.b[vs..ve];
        if name.eq_ignore_ascii_case(b"content-length") {
            if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                return Err(Parse::Bad);
            }
            let mut n = 0usize;
            for &c in value {
                n = n * 10 + (c - b'0') as usize;
                if n > MAX_REQUEST {
                    return Err(Parse::Bad);
                }
            }
            if has_length && n != length {
                return Err(Parse::Bad);
            }
            has_length = true;
            length = n;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(Parse::Bad);
        } else if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for tok in value.split(|&c| c == b',' || c == b' ' || c == b'\t') {
                close |= tok.eq_ignore_ascii_case(b"close");
                keep |= tok.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    if hosts > 1 || (minor >= 1 && hosts == 0) {
        return Err(Parse::Bad);
    }
    let total_len = s.at + length;
    if total_len > MAX_REQUEST {
        return Err(Parse::Bad);
    }
    if total_len > s.b.len() {
        return Err(Parse::Incomplete);
    }
    let keep_alive = if minor >= 1 { !close } else { keep && !close };
    Ok(Parse::Complete { total_len, keep_alive, head: &s.b[ms..me] == b"HEAD", minor })
}

/// Parse the request at the start of `buf`.
pub fn parse_request(buf: &[u8]) -> Parse {
    let mut s = Scan { b: buf, at: 0 };
    match parse_inner(&mut s) {
        Ok(p) => p,
        Err(Parse::Incomplete) if buf.len() >= MAX_REQUEST => Parse::Bad,
        Err(e) => e,
    }
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
const OK_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!";
const OK_KEEP10: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!";
const BAD: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n";

/// One connection's unanswered input and queued replies.
pub struct Conn {
    pub input: Vec<u8>,
    pub out: Vec<u8>,
    pub close_after: bool,
    pub served: u64,
    pub refused: u64,
}

impl Default for Conn {
    /// Empty buffers sized for one maximal request.
    fn default() -> Self {
        Conn { input: Vec::with_capacity(MAX_REQUEST), out: Vec::with_capacity(4096),
               close_after: false, served: 0, refused: 0 }
    }
}

impl Conn {
    /// How many more bytes may be read (0 once closing: nothing more will be parsed).
    pub fn room(&self) -> usize {
        if self.close_after { 0 } else { MAX_REQUEST - self.input.len() }
    }

    /// Answer every complete request in `input` into `out`; returns how many replies it queued.
    pub fn process(&mut self) -> usize {
        let (mut used, mut queued) = (0, 0);
        while !self.close_after {
            match parse_request(&self.input[used..]) {
                Parse::Incomplete => break,
                Parse::Bad => {
                    self.out.extend_from_slice(BAD);
                    self.refused += 1;
                    self.close_after = true;
                    used = self.input.len();
                    queued += 1;
                }
                Parse::Complete { total_len, keep_alive, head, minor } => {
                    let reply = if !keep_alive {
                        self.close_after = true;
                        OK_CLOSE
                    } else if minor == 0 {
                        OK_KEEP10
                    } else {
                        OK
                    };
                    self.out.extend_from_slice(if head { &reply[..reply.len() - 13] } else { reply });
                    self.served += 1;
                    queued += 1;
                    used += total_len;
                }
            }
        }
        self.input.drain(..used);
        queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few requests with the outcome the C parser gives them.
    #[test]
    fn parses_like_the_c_parser() {
        assert!(matches!(parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Parse::Complete { total_len: 27, keep_alive: true, .. }));
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\n\r\n"), Parse::Bad);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHo"), Parse::Incomplete);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"), Parse::Bad);
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), Parse::Bad);
        assert!(matches!(parse_request(b"GET / HTTP/1.0\r\n\r\n"), Parse::Complete { keep_alive: false, .. }));
    }
}
