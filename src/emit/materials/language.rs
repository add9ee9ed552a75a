//! The template language of the materials: Jinja through `minijinja`,
//! with strict undefined names (a misspelt figure is an error, never an
//! empty string), no auto-escaping (the callers escape for their format),
//! and the contract's filters (`phrase`) on [`Figure`] objects that carry
//! the exact decimal. A float never enters: a filter given one refuses it.
//!
//! Every value a `{{ … }}` writes goes through one formatter, which also
//! records what was written, from which figure, and whether the phrase
//! holds ([`Trace`]); `materials_sources.csv` is made of these.

use std::sync::{Arc, Mutex};

use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use rust_decimal::Decimal;

use super::phrase::{self, Approx, Scale};
use crate::contract::metrics::Metric;

/// A number the materials may print: a headline metric, a 工作台账 fact or
/// a number of an agreement row, with where it came from.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The name a template uses (`profit_tax_total`, `党支部数`,
    /// `银会合作.授信额度`).
    pub name: String,
    pub year: i32,
    pub value: Decimal,
    pub unit: String,
    /// How `{{ name }}` alone writes it.
    pub shown: String,
    /// Where an auditor finds its cells.
    pub source: String,
    pub metric: Option<&'static Metric>,
}

impl Object for Figure {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// What a filter made of a figure.
#[derive(Debug, Clone)]
pub struct Phrase {
    pub text: String,
    pub figure: Arc<Figure>,
    pub holds: bool,
}

impl Object for Phrase {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One value written by a `{{ … }}`, in writing order.
#[derive(Debug, Clone)]
pub struct Trace {
    pub text: String,
    /// The figure behind it (none for `{{ year }}` or a text).
    pub figure: Option<Arc<Figure>>,
    pub holds: bool,
}

/// Where the traces of one render go.
pub type Traces = Arc<Mutex<Vec<Trace>>>;

/// The environment every template renders in; `traces` receives what each
/// expression writes.
pub fn environment(traces: Traces) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    for (name, scale) in [("亿", Scale::Yi), ("万", Scale::Wan), ("数", Scale::One)] {
        env.add_filter(name, move |v: Value, dp: Option<i64>| scaled(&v, scale, dp));
    }
    for name in Approx::NAMES {
        let approx = Approx::named(name).expect("every listed phrase has a filter");
        env.add_filter(
            name,
            move |v: Value, scale: Option<String>, k: Option<i64>, form: Option<String>| {
                approximate(&v, name, approx, scale.as_deref(), k, form.as_deref())
            },
        );
    }
    env.add_filter("折合", converted);
    env.add_filter("顿号", |v: Value| -> Result<String, Error> {
        let items = v.try_iter()?.map(|i| i.to_string()).collect::<Vec<_>>();
        Ok(phrase::enumerate(&items))
    });
    env.add_filter("增减", |v: Value, other: Value| -> Result<Value, Error> {
        let (a, b) = (figure(&v, "增减")?, figure(&other, "增减")?);
        Ok(Value::from_object(Phrase {
            text: phrase::change(a.value, b.value).to_string(),
            figure: a,
            holds: true,
        }))
    });
    env.set_formatter(move |out, _state, value| {
        let trace = match (
            value.downcast_object::<Phrase>(),
            value.downcast_object::<Figure>(),
        ) {
            (Some(p), _) => Trace {
                text: p.text.clone(),
                figure: Some(p.figure.clone()),
                holds: p.holds,
            },
            (None, Some(f)) => Trace {
                text: f.shown.clone(),
                figure: Some(f),
                holds: true,
            },
            (None, None) => Trace {
                text: value.to_string(),
                figure: None,
                holds: true,
            },
        };
        out.write_str(&trace.text)?;
        if let Ok(mut t) = traces.lock() {
            t.push(trace);
        }
        Ok(())
    });
    env
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// The figure a filter was given: a figure, or an integer or text that is
/// an exact decimal (a literal in the template). A float is refused.
fn figure(v: &Value, filter: &str) -> Result<Arc<Figure>, Error> {
    if let Some(f) = v.downcast_object::<Figure>() {
        return Ok(f);
    }
    if v.is_undefined() {
        // Strict names reach a filter undefined: the name is unknown.
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("{filter} was given a name that is not defined"),
        ));
    }
    if v.downcast_object::<Phrase>().is_some() {
        return Err(invalid(format!(
            "{filter}：数字已经写成文字，不能再次换算 / {filter} was given a phrase, not a figure"
        )));
    }
    let exact = match (v.as_i64(), v.as_str()) {
        (Some(i), _) => Some(Decimal::from(i)),
        (None, Some(s)) => s.trim().parse::<Decimal>().ok(),
        _ => None,
    };
    let value = exact.ok_or_else(|| {
        invalid(format!(
            "{filter}：需要一个数字（指标或台账数值），得到 {v} / {filter} needs a figure or an exact number, not {v} ({})",
            v.kind()
        ))
    })?;
    Ok(Arc::new(Figure {
        name: v.to_string(),
        year: 0,
        value,
        unit: String::new(),
        shown: phrase::plain(value),
        source: String::new(),
        metric: None,
    }))
}

/// `亿`, `万`, `数`, optionally with exactly `dp` decimals.
fn scaled(v: &Value, scale: Scale, dp: Option<i64>) -> Result<Value, Error> {
    let f = figure(v, scale.word())?;
    let dp = dp
        .map(|d| u32::try_from(d).ok().filter(|d| *d <= 10))
        .map(|d| d.ok_or_else(|| invalid("小数位数应为 0 到 10 / decimals must be 0 to 10".into())))
        .transpose()?;
    Ok(Value::from_object(Phrase {
        text: phrase::exact(scale.of(f.value), dp),
        figure: f,
        holds: true,
    }))
}

/// One of the approximate phrases, `(scale, k, form)`.
fn approximate(
    v: &Value,
    name: &str,
    approx: Approx,
    scale: Option<&str>,
    k: Option<i64>,
    form: Option<&str>,
) -> Result<Value, Error> {
    let f = figure(v, name)?;
    let scale = Scale::parse(scale.unwrap_or("")).ok_or_else(|| {
        invalid(format!(
            "{name}：单位应为 \"\"、\"万\" 或 \"亿\" / the scale of {name} must be \"\", \"万\" or \"亿\""
        ))
    })?;
    let k = u32::try_from(k.unwrap_or(1))
        .ok()
        .filter(|k| (1..=10).contains(k))
        .ok_or_else(|| {
            invalid(format!(
                "{name}：有效数字位数应为 1 到 10 / {name} keeps 1 to 10 digits"
            ))
        })?;
    let chinese = match form.unwrap_or("") {
        "" => false,
        "汉字" => true,
        other => {
            return Err(invalid(format!(
                "{name}：写法只能是 \"汉字\"，得到 \"{other}\" / the form of {name} can only be \"汉字\""
            )))
        }
    };
    // A phrase that does not hold is logged where its template and
    // paragraph are known (`materials::render_all`).
    let p = phrase::approximate(f.value, approx, scale, k, chinese);
    Ok(Value::from_object(Phrase {
        text: p.text,
        figure: f,
        holds: p.holds,
    }))
}

/// `折合`: the figure as headline.md writes it, unit attached (`91.31亿元`,
/// `51.44万个`, `242家`).
fn converted(v: Value) -> Result<Value, Error> {
    let f = figure(&v, "折合")?;
    let text = match f.metric {
        Some(m) => {
            let (text, unit) = m.display(f.value, &f.shown);
            format!("{text}{unit}")
        }
        None => format!("{}{}", phrase::plain(f.value), f.unit),
    };
    Ok(Value::from_object(Phrase {
        text,
        figure: f,
        holds: true,
    }))
}
