//! The printf family's formatting, as Apple's Libc does it (stdio/FreeBSD/vfprintf.c
//! __vfprintf): flags `- 0 + space #`, width and precision (with `*`), the length modifiers
//! `hh h l ll q j z t`, and the conversions `d i u o x X c s p %`. The formatter is a pure
//! function of the format and a [`Source`] of arguments, so it is tested without a CPU.
//!
//! What it does not model stops instead of printing something else: floating point
//! (`%f %e %g %a`, `L`), `%n`, wide characters (`%lc %ls %C %S`), positional arguments
//! (`%1$d`), the `'` grouping flag, Apple's vector formats, and any other conversion (vfprintf
//! would print its letter).

/// Why formatting stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// Guest memory at this address could not be read.
    Fault(u64),
    /// Something the model does not format, said as "conversion %f is not modeled".
    Unmodeled(String),
}

/// Where the formatter's inputs come from.
pub trait Source {
    /// The next variadic argument, as the 64-bit word it travels in.
    fn arg(&mut self) -> Result<u64, Stop>;
    /// The C string at `addr`, at most `max` bytes of it (vfprintf's `%.Ns` reads no further).
    fn string(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Stop>;
}

/// The longest output the model formats (16 MiB, as much as the model's write(2) takes).
pub const MAX_OUTPUT: usize = 1 << 24;

/// How wide the argument of an integer conversion is (vfprintf's CHARINT, SHORTINT, the int
/// default, and LONGINT/LLONGINT/INTMAXT/SIZET/PTRDIFFT, all 64 bits on LP64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Char,
    Short,
    Int,
    Long,
    /// `L`: long double, only for the floating conversions the model lacks.
    LongDouble,
}

/// One conversion's flags, width and precision.
#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    prec: Option<usize>,
}

/// `fmt` formatted with the arguments `src` gives.
pub fn format(fmt: &[u8], src: &mut dyn Source) -> Result<Vec<u8>, Stop> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let start = i - 1;
        let mut s = Spec::default();
        while let Some(&f) = fmt.get(i) {
            match f {
                b'-' => s.left = true,
                b'0' => s.zero = true,
                b'+' => s.plus = true,
                b' ' => s.space = true,
                b'#' => s.alt = true,
                _ => break,
            }
            i += 1;
        }
        if fmt.get(i) == Some(&b'*') {
            i += 1;
            // vfprintf GETASTER: an int; a negative width is the `-` flag and its magnitude.
            let w = src.arg()? as i32;
            s.left |= w < 0;
            s.width = w.unsigned_abs() as usize;
        } else {
            s.width = digits(fmt, &mut i);
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            if fmt.get(i) == Some(&b'*') {
                i += 1;
                // A negative precision is taken as if it were omitted.
                let p = src.arg()? as i32;
                s.prec = usize::try_from(p).ok();
            } else {
                s.prec = Some(digits(fmt, &mut i));
            }
        }
        let len = length(fmt, &mut i);
        let Some(&conv) = fmt.get(i) else {
            // A format ending inside a conversion: vfprintf prints nothing more.
            break;
        };
        i += 1;
        let unmodeled = || {
            let spec = String::from_utf8_lossy(&fmt[start..i]);
            Stop::Unmodeled(format!("conversion {spec} is not modeled"))
        };
        if s.width > MAX_OUTPUT || s.prec.unwrap_or(0) > MAX_OUTPUT {
            let spec = String::from_utf8_lossy(&fmt[start..i]);
            let msg = format!("conversion {spec} asks for more than {MAX_OUTPUT} bytes");
            return Err(Stop::Unmodeled(msg));
        }
        if len == Length::LongDouble {
            return Err(unmodeled());
        }
        match conv {
            b'd' | b'i' => {
                let v = signed(src.arg()?, len);
                let sign = if v < 0 {
                    "-"
                } else if s.plus {
                    "+"
                } else if s.space {
                    " "
                } else {
                    ""
                };
                number(&mut out, &s, v.unsigned_abs(), 10, false, sign, "");
            }
            b'u' | b'o' | b'x' | b'X' => {
                let v = unsigned(src.arg()?, len);
                let (base, upper) = match conv {
                    b'u' => (10, false),
                    b'o' => (8, false),
                    b'x' => (16, false),
                    _ => (16, true),
                };
                // `#x` prefixes 0x to a non-zero value only.
                let prefix = match conv {
                    b'x' if s.alt && v != 0 => "0x",
                    b'X' if s.alt && v != 0 => "0X",
                    _ => "",
                };
                number(&mut out, &s, v, base, upper, "", prefix);
            }
            // vfprintf: `%p` is `%#x` of the pointer, with the 0x even for NULL ("0x0").
            b'p' => {
                let v = src.arg()?;
                number(&mut out, &s, v, 16, false, "", "0x");
            }
            b'c' if len == Length::Int => {
                let b = src.arg()? as u8;
                pad(&mut out, &s, "", &[b], 0);
            }
            b's' if len == Length::Int => {
                let p = src.arg()?;
                let max = s.prec.unwrap_or(MAX_OUTPUT + 1);
                let text = if p == 0 {
                    // Apple's vfprintf prints NULL as "(null)", cut by the precision.
                    b"(null)"[..max.min(6)].to_vec()
                } else {
                    src.string(p, max)?
                };
                pad(&mut out, &s, "", &text, 0);
            }
            // vfprintf's default case takes `%` as a character: flags and width apply.
            b'%' => pad(&mut out, &s, "", b"%", 0),
            _ => return Err(unmodeled()),
        }
        if out.len() > MAX_OUTPUT {
            let msg = format!("output of more than {MAX_OUTPUT} bytes is not modeled");
            return Err(Stop::Unmodeled(msg));
        }
    }
    Ok(out)
}

/// A decimal number at `fmt[*i..]` (0 when there is none), saturating.
fn digits(fmt: &[u8], i: &mut usize) -> usize {
    let mut n: usize = 0;
    while let Some(d) = fmt.get(*i).filter(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((d - b'0') as usize);
        *i += 1;
    }
    n
}

/// The length modifier at `fmt[*i..]`.
fn length(fmt: &[u8], i: &mut usize) -> Length {
    let (len, n) = match (fmt.get(*i), fmt.get(*i + 1)) {
        (Some(b'h'), Some(b'h')) => (Length::Char, 2),
        (Some(b'h'), _) => (Length::Short, 1),
        (Some(b'l'), Some(b'l')) => (Length::Long, 2),
        (Some(b'l' | b'q' | b'j' | b'z' | b't'), _) => (Length::Long, 1),
        (Some(b'L'), _) => (Length::LongDouble, 1),
        _ => (Length::Int, 0),
    };
    *i += n;
    len
}

/// A signed argument's value: the word cut to the argument's type (vfprintf SARG), since only
/// those bits are defined in a register or stack slot.
fn signed(v: u64, len: Length) -> i64 {
    match len {
        Length::Char => v as i8 as i64,
        Length::Short => v as i16 as i64,
        Length::Int => v as i32 as i64,
        Length::Long | Length::LongDouble => v as i64,
    }
}

/// An unsigned argument's value (vfprintf UARG).
fn unsigned(v: u64, len: Length) -> u64 {
    match len {
        Length::Char => v as u8 as u64,
        Length::Short => v as u16 as u64,
        Length::Int => v as u32 as u64,
        Length::Long | Length::LongDouble => v,
    }
}

/// An integer conversion: vfprintf's `number:` path. A precision turns the `0` flag off and
/// sets the least number of digits; a zero value with precision 0 has no digits (`%#.0o`
/// still prints its 0); `#o` makes the first digit a 0.
fn number(out: &mut Vec<u8>, s: &Spec, v: u64, base: u64, upper: bool, sign: &str, prefix: &str) {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut body = Vec::new();
    if v != 0 || s.prec != Some(0) || (s.alt && base == 8) {
        let mut x = v;
        loop {
            body.push(table[(x % base) as usize]);
            x /= base;
            if x == 0 {
                break;
            }
        }
        if s.alt && base == 8 && body.last() != Some(&b'0') {
            body.push(b'0');
        }
        body.reverse();
    }
    let spec = Spec {
        zero: s.zero && s.prec.is_none(),
        ..*s
    };
    let head = format!("{sign}{prefix}");
    pad(out, &spec, &head, &body, s.prec.unwrap_or(0));
}

/// Writes `head` (sign and 0x) and `body` padded as vfprintf does: blanks before the head, or
/// zeros after it with the `0` flag, or blanks after everything with `-`; `dprec` is the least
/// number of digits, made up with zeros in front of `body`.
fn pad(out: &mut Vec<u8>, s: &Spec, head: &str, body: &[u8], dprec: usize) {
    let realsz = head.len() + dprec.max(body.len());
    let fill = s.width.saturating_sub(realsz);
    if !s.left && !s.zero {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(head.as_bytes());
    if !s.left && s.zero {
        out.resize(out.len() + fill, b'0');
    }
    out.resize(out.len() + dprec.saturating_sub(body.len()), b'0');
    out.extend_from_slice(body);
    if s.left {
        out.resize(out.len() + fill, b' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Arguments from a list, strings from a map of addresses.
    struct Fake {
        args: Vec<u64>,
        strings: HashMap<u64, &'static str>,
    }

    impl Source for Fake {
        fn arg(&mut self) -> Result<u64, Stop> {
            assert!(!self.args.is_empty(), "the format took too many arguments");
            Ok(self.args.remove(0))
        }
        fn string(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Stop> {
            let s = self.strings.get(&addr).ok_or(Stop::Fault(addr))?;
            Ok(s.as_bytes()[..s.len().min(max)].to_vec())
        }
    }

    fn fmt_with(f: &str, args: &[u64], strings: &[(u64, &'static str)]) -> Result<String, Stop> {
        let mut src = Fake {
            args: args.to_vec(),
            strings: strings.iter().copied().collect(),
        };
        let out = format(f.as_bytes(), &mut src)?;
        assert!(
            src.args.is_empty(),
            "{f}: arguments left over: {:?}",
            src.args
        );
        Ok(String::from_utf8(out).unwrap())
    }

    /// An int as it travels: its 32 bits, the rest of the word undefined (here garbage), which
    /// the formatter must ignore.
    const fn int(v: i32) -> u64 {
        0xdead_beef_0000_0000 | v as u32 as u64
    }

    /// Strings at 0x1000 and 0x2000 (NULL is 0).
    const HELLO: u64 = 0x1000;
    const AB: u64 = 0x2000;

    /// (format, arguments, text), with Apple's Libc's output. One case a line: a table.
    #[rustfmt::skip]
    const CASES: &[(&str, &[u64], &str)] = &[
        ("%d|%i|%u", &[int(-42), int(7), int(-1)], "-42|7|4294967295"),
        ("%ld %lld", &[-5i64 as u64, i64::MIN as u64], "-5 -9223372036854775808"),
        ("%llx %lX %#llx", &[u64::MAX, 0xabc, 0x1f], "ffffffffffffffff ABC 0x1f"),
        ("%hhd %hhu %hd %hu", &[0x1ff, 0x1ff, 0x18000, 0x18000], "-1 255 -32768 32768"),
        ("%zu %jd %td %qd", &[1 << 40, -3i64 as u64, 9, 10], "1099511627776 -3 9 10"),
        ("%o %#o %#x %#X", &[8, 8, 0, 255], "10 010 0 0XFF"),
        ("%+d %+d % d % d %+u", &[int(5), int(-5), int(5), int(-5), 5], "+5 -5  5 -5 5"),
        // Widths and precisions.
        ("[%5d][%-5d][%05d]", &[int(42), int(42), int(-42)], "[   42][42   ][-0042]"),
        ("[%.3d][%8.3d][%08.3d]", &[int(7), int(-7), int(7)], "[007][    -007][     007]"),
        ("[%.0d][%5.0d][%#.0o][%#.0x]", &[0, 0, 0, 0], "[][     ][0][]"),
        ("[%#08x][%-#8x][%+05d]", &[0x2a, 0x2a, int(3)], "[0x00002a][0x2a    ][+0003]"),
        ("[%*d][%-*d]", &[int(4), int(1), int(3), int(2)], "[   1][2  ]"),
        ("[%*d][%.*d][%.*d]", &[int(-3), int(3), int(3), int(5), int(-1), int(6)], "[3  ][005][6]"),
        ("[%-05d]", &[int(9)], "[9    ]"),
        // Strings, characters, pointers, %%.
        ("[%s][%-7s][%7s][%.2s]", &[HELLO; 4], "[hello][hello  ][  hello][he]"),
        ("[%-5s][%05s]", &[AB, AB], "[ab   ][000ab]"),
        ("[%s][%.3s][%8s]", &[0, 0, 0], "[(null)][(nu][  (null)]"),
        ("[%c%c][%3c][%-3c]", &[int(111), 0x1_6b, int(120), int(121)], "[ok][  x][y  ]"),
        ("%p %p %8p", &[0x7fff_1234, 0, 0xabc], "0x7fff1234 0x0    0xabc"),
        ("100%% [%3%]", &[], "100% [  %]"),
        ("no conversions\n", &[], "no conversions\n"),
        ("trailing %", &[], "trailing "),
    ];

    #[test]
    fn formats_as_apples_libc_does() {
        let strings = [(HELLO, "hello"), (AB, "ab")];
        for (f, args, want) in CASES {
            assert_eq!(fmt_with(f, args, &strings).as_deref(), Ok(*want), "{f}");
        }
    }

    #[test]
    fn a_bad_string_pointer_is_a_fault_at_it() {
        assert_eq!(fmt_with("%s", &[0xbad0], &[]), Err(Stop::Fault(0xbad0)));
    }

    #[test]
    fn what_is_not_modeled_stops_naming_the_conversion() {
        let specs = [
            "%f", "%.2e", "%g", "%a", "%Lf", "%n", "%ls", "%lc", "%C", "%S", "%y",
        ];
        let mut cases: Vec<(String, &str)> =
            specs.iter().map(|s| (format!("x={s}\n"), *s)).collect();
        cases.extend([("%1$d".into(), "%1$"), ("%'d".into(), "%'")]);
        for (f, spec) in &cases {
            let want = format!("conversion {spec} is not modeled");
            assert_eq!(
                fmt_with(f, &[0; 4], &[]).map(|_| ()),
                Err(Stop::Unmodeled(want)),
                "{f}"
            );
        }
        let huge = fmt_with("%*d", &[int(i32::MAX), 1], &[]);
        assert!(
            matches!(&huge, Err(Stop::Unmodeled(m)) if m.contains("more than")),
            "{huge:?}"
        );
    }
}
