//! Reading one instruction's text: its operation and operands, and immediates in either
//! instruction set's spelling.

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
