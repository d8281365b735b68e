//! Typed access to a parsed TOML table: each getter returns the value or a [`DescriptionError`]
//! naming the file, the dotted field and what was expected, and describes what was found instead
//! (an unanswered scaffold `TODO` included).

use std::path::Path;

use crate::arch::Arch;
use crate::error::DescriptionError;
use crate::model::RegisterMap;

/// A TOML table as the parser gives it (keys sorted).
pub(crate) type Table = toml::value::Table;

/// Reads the fields of one file's tables.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a Path,
}

impl Reader<'_> {
    pub(crate) fn err(
        &self,
        field: &str,
        expected: &str,
        found: impl Into<String>,
    ) -> DescriptionError {
        DescriptionError {
            file: self.file.to_path_buf(),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.into(),
        }
    }

    pub(crate) fn table<'t>(
        &self,
        root: &'t Table,
        name: &str,
    ) -> Result<&'t Table, DescriptionError> {
        match root.get(name) {
            Some(toml::Value::Table(t)) => Ok(t),
            Some(v) => Err(self.err(name, "a table", describe(v))),
            None => Err(self.err(name, "a table", "nothing (the section is missing)")),
        }
    }

    pub(crate) fn get<'t>(
        &self,
        t: &'t Table,
        sect: &str,
        key: &str,
        expected: &str,
    ) -> Result<&'t toml::Value, DescriptionError> {
        t.get(key).ok_or_else(|| {
            self.err(
                &format!("{sect}.{key}"),
                expected,
                "nothing (the key is missing)",
            )
        })
    }

    pub(crate) fn string(
        &self,
        t: &Table,
        sect: &str,
        key: &str,
    ) -> Result<String, DescriptionError> {
        let exp = "a non-empty string";
        match self.get(t, sect, key, exp)? {
            toml::Value::String(s) if !s.trim().is_empty() && !is_todo(s) => Ok(s.clone()),
            v @ toml::Value::String(t) if is_todo(t) => Err(self.err(
                &format!("{sect}.{key}"),
                "a non-empty string answering the TODO",
                describe(v),
            )),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    pub(crate) fn choice(
        &self,
        t: &Table,
        sect: &str,
        key: &str,
        options: &[&str],
    ) -> Result<String, DescriptionError> {
        let exp = format!("one of {}", quoted(options));
        match self.get(t, sect, key, &exp)? {
            toml::Value::String(s) if options.contains(&s.as_str()) => Ok(s.clone()),
            v => Err(self.err(&format!("{sect}.{key}"), &exp, describe(v))),
        }
    }

    pub(crate) fn uint(&self, t: &Table, sect: &str, key: &str) -> Result<u64, DescriptionError> {
        let exp = "a non-negative integer";
        match self.get(t, sect, key, exp)? {
            toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    pub(crate) fn int(&self, t: &Table, sect: &str, key: &str) -> Result<i64, DescriptionError> {
        let exp = "an integer";
        match self.get(t, sect, key, exp)? {
            toml::Value::Integer(i) => Ok(*i),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    pub(crate) fn power_of_two(
        &self,
        t: &Table,
        sect: &str,
        key: &str,
    ) -> Result<u64, DescriptionError> {
        let v = self.uint(t, sect, key)?;
        if v == 0 || !v.is_power_of_two() {
            return Err(self.err(&format!("{sect}.{key}"), "a power of two", v.to_string()));
        }
        Ok(v)
    }

    pub(crate) fn strings(
        &self,
        t: &Table,
        sect: &str,
        key: &str,
    ) -> Result<Vec<String>, DescriptionError> {
        let exp = "a list of strings";
        match self.get(t, sect, key, exp)? {
            toml::Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    toml::Value::String(s) if !s.trim().is_empty() && !is_todo(s) => Ok(s.clone()),
                    v => Err(self.err(
                        &format!("{sect}.{key}[{i}]"),
                        "a non-empty string",
                        describe(v),
                    )),
                })
                .collect(),
            v => Err(self.err(&format!("{sect}.{key}"), exp, describe(v))),
        }
    }

    pub(crate) fn register(
        &self,
        arch: Arch,
        field: &str,
        name: &str,
    ) -> Result<(), DescriptionError> {
        if arch.is_register(name) {
            Ok(())
        } else {
            Err(self.err(
                field,
                &format!("a lower-case {} register name without `%`", arch.as_str()),
                format!("\"{name}\""),
            ))
        }
    }

    pub(crate) fn registers(
        &self,
        arch: Arch,
        t: &Table,
        sect: &str,
        key: &str,
    ) -> Result<Vec<String>, DescriptionError> {
        let regs = self.strings(t, sect, key)?;
        for (i, r) in regs.iter().enumerate() {
            self.register(arch, &format!("{sect}.{key}[{i}]"), r)?;
        }
        for (i, r) in regs.iter().enumerate() {
            if regs[..i].contains(r) {
                return Err(self.err(
                    &format!("{sect}.{key}[{i}]"),
                    "a register not already in the list",
                    format!("\"{r}\" a second time"),
                ));
            }
        }
        Ok(regs)
    }

    /// `[c_abi] callee_saved_vector`: vector registers of `arch`, each once.
    pub(crate) fn vector_registers(
        &self,
        arch: Arch,
        c: &Table,
    ) -> Result<Vec<String>, DescriptionError> {
        let regs = self.strings(c, "c_abi", "callee_saved_vector")?;
        for (i, reg) in regs.iter().enumerate() {
            if !arch.is_vector_register(reg) || regs[..i].contains(reg) {
                return Err(self.err(
                    &format!("c_abi.callee_saved_vector[{i}]"),
                    &format!(
                        "a lower-case {} vector register name without `%`, not already in the list",
                        arch.as_str()
                    ),
                    format!("\"{reg}\""),
                ));
            }
        }
        Ok(regs)
    }

    /// `args` + `registers` of equal length; `names` (if given) are the exact argument names.
    pub(crate) fn register_map(
        &self,
        arch: Arch,
        t: &Table,
        sect: &str,
        names: Option<&[&str]>,
    ) -> Result<RegisterMap, DescriptionError> {
        let args = self.strings(t, sect, "args")?;
        if let Some(names) = names {
            let mut sorted_have: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut sorted_want: Vec<&str> = names.to_vec();
            sorted_have.sort_unstable();
            sorted_want.sort_unstable();
            if sorted_have != sorted_want {
                return Err(self.err(
                    &format!("{sect}.args"),
                    &format!("exactly the names {} in the kernel's order", quoted(names)),
                    format!("{args:?}"),
                ));
            }
        }
        let registers = self.registers(arch, t, sect, "registers")?;
        if registers.len() != args.len() {
            return Err(self.err(
                &format!("{sect}.registers"),
                &format!("one register per entry of {sect}.args ({})", args.len()),
                format!("{} registers", registers.len()),
            ));
        }
        Ok(RegisterMap { args, registers })
    }
}

pub(crate) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An unanswered fact of a scaffold (`rt0-port new` writes them as "TODO: <question> (<source>)"):
/// never a value, even where any string would do.
pub(crate) fn is_todo(s: &str) -> bool {
    s.trim_start().starts_with("TODO")
}

/// How a value that is not what was expected is named in an error.
pub(crate) fn describe(v: &toml::Value) -> String {
    match v {
        // `rt0-port new` writes every fact still to find as a "TODO: <question> (<source>)" string.
        toml::Value::String(s) if is_todo(s) => format!("an unanswered \"{s}\""),
        toml::Value::String(s) => format!("the string \"{s}\""),
        toml::Value::Integer(i) => format!("the integer {i}"),
        toml::Value::Float(f) => format!("the float {f}"),
        toml::Value::Boolean(b) => format!("the boolean {b}"),
        toml::Value::Datetime(d) => format!("the datetime {d}"),
        toml::Value::Array(a) => format!("a list of {} items", a.len()),
        toml::Value::Table(_) => "a table".to_string(),
    }
}

/// The TOML in `text`, or an error naming `file` and the line of the syntax error.
pub(crate) fn parse_toml(file: &Path, text: &str) -> Result<Table, DescriptionError> {
    toml::from_str::<Table>(text)
        .map_err(|e| Reader { file }.err("(file)", "valid TOML", syntax_error(&e)))
}

/// "a TOML syntax error at line L: <what>", as the parser reports it.
pub(crate) fn syntax_error(e: &toml::de::Error) -> String {
    let text = e.to_string();
    // toml ends its message with " at line L column C" (1-based) when it knows where.
    match (e.line_col(), text.rfind(" at line ")) {
        (Some((line, _)), Some(at)) => {
            format!("a TOML syntax error at line {}: {}", line + 1, &text[..at])
        }
        _ => format!("a TOML syntax error: {text}"),
    }
}
