//! Reading llvm-objdump listings: one function's instructions, an instruction's operands, and
//! immediates in either instruction set's spelling.

/// The instructions of `symbol` in an `llvm-objdump -d --no-show-raw-insn` listing, each as
/// `op operands` with single spaces, up to the next symbol. Reads both the default layout
/// (`0000000000000020 <sym>:` headers) and the `--macho` one (`sym:` headers). `None` when the
/// listing has no such symbol.
pub fn function_body(listing: &str, symbol: &str) -> Option<Vec<String>> {
    let angled = format!("<{symbol}>:");
    let bare = format!("{symbol}:");
    let mut lines = listing.lines().skip_while(|l| {
        let l = l.trim();
        !(l.ends_with(&angled) || l == bare)
    });
    lines.next()?;
    let mut body = Vec::new();
    let mut lines = lines.map(str::trim).peekable();
    while let Some(l) = lines.next() {
        // An assembler-local label (`<.L11>:`, and the `<.L0 >:` riscv gas emits before every
        // instruction for its line table) is inside the function, and so is the blank line
        // llvm-objdump prints before it.
        if is_local_label(l) || (l.is_empty() && lines.peek().is_some_and(|n| is_local_label(n))) {
            continue;
        }
        if l.is_empty() || l.ends_with(':') {
            break;
        }
        let i = without_address(l)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !i.is_empty() {
            body.push(i);
        }
    }
    Some(body)
}

/// A header line of an assembler-local label (`.L` prefix, ELF), as opposed to a symbol.
fn is_local_label(line: &str) -> bool {
    line.ends_with(">:") && line.contains("<.L")
}

/// An instruction line without its leading address (`20:` or `0000000000000020`).
fn without_address(line: &str) -> &str {
    let hex_end = line
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if hex_end == 0 {
        return line;
    }
    let rest = &line[hex_end..];
    match rest.strip_prefix(':') {
        Some(r) => r.trim(),
        None if rest.starts_with(char::is_whitespace) => rest.trim(),
        None => line,
    }
}

/// Splits `op a, b, c` into the operation and its operands, keeping bracketed addresses
/// (`[sp, #16]`, `8(%rsp)`) whole and dropping a trailing `// comment`.
pub fn split_instruction(ins: &str) -> (String, Vec<String>) {
    let ins = ins.trim();
    let (op, rest) = ins.split_once(char::is_whitespace).unwrap_or((ins, ""));
    let rest = rest.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in rest.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    (op.to_string(), out)
}

/// An immediate operand (`$0x1000000`, `#-16`, `#13`, `360`) as a 64-bit pattern.
pub fn immediate(operand: &str) -> Option<u64> {
    let s = operand.trim().trim_start_matches(['$', '#']);
    let (negative, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok()?,
        None => s.parse().ok()?,
    };
    Some(if negative { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_stop_at_the_next_symbol_in_the_default_layout() {
        let dis = "0000000000000020 <f>:\n      20:      \tpushq\t%rdx\n      21:      \tsyscall\n\n0000000000000030 <g>:\n      30:      \tretq\n";
        assert_eq!(function_body(dis, "f").unwrap(), ["pushq %rdx", "syscall"]);
        assert_eq!(function_body(dis, "g").unwrap(), ["retq"]);
        assert!(function_body(dis, "h").is_none());
    }

    #[test]
    fn local_labels_do_not_end_a_body() {
        let dis = "0000000000000002 <f>:\n       2:      \taddi\tsp, sp, -64\n\n0000000000000004 <.L0 >:\n       4:      \tsd\ta0, 0(sp)\n\n0000000000000050 <.L21>:\n      50:      \tecall\t\n\n0000000000000060 <g>:\n      60:      \tret\n";
        assert_eq!(
            function_body(dis, "f").unwrap(),
            ["addi sp, sp, -64", "sd a0, 0(sp)", "ecall"]
        );
        assert_eq!(function_body(dis, "g").unwrap(), ["ret"]);
    }

    #[test]
    fn bodies_are_read_from_the_macho_layout_too() {
        let dis = "obj.o:\n(__TEXT,__text) section\n_f:\n       0:\tmov\tsp, x4\n       4:\tsvc\t#0x80\n_g:\n       8:\tret\n";
        assert_eq!(
            function_body(dis, "_f").unwrap(),
            ["mov sp, x4", "svc #0x80"]
        );
    }

    #[test]
    fn operands_keep_addresses_whole_and_drop_comments() {
        assert_eq!(
            split_instruction("stp\tx19, x20, [sp, #-32]!"),
            (
                "stp".to_string(),
                vec!["x19".into(), "x20".into(), "[sp, #-32]!".into()]
            )
        );
        assert_eq!(
            split_instruction("mov x0, #3840 // =0xf00").1,
            ["x0", "#3840"]
        );
        assert_eq!(
            split_instruction("movq 8(%rsp,%rax), %rdi").1,
            ["8(%rsp,%rax)", "%rdi"]
        );
        assert_eq!(split_instruction("ret"), ("ret".to_string(), vec![]));
    }

    #[test]
    fn immediates_in_both_spellings() {
        assert_eq!(immediate("$0x1000000"), Some(0x100_0000));
        assert_eq!(immediate("#13"), Some(13));
        assert_eq!(immediate("#-16"), Some(-16i64 as u64));
        assert_eq!(immediate("%rax"), None);
    }
}
