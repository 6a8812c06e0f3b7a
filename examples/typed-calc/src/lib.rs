//! `typed-calc`: a plain wit-bindgen component, written without the yoi PDK.
//!
//! Its WIT world (`wit/calc.wit`) exports `add` and the `ops` interface; yoi's
//! `world = "typed"` runtime offers each exported function as a tool and
//! derives the tools' JSON Schemas from these signatures. Nothing here knows
//! about JSON or yoi.

/// The generated bindings. The canonical-ABI glue wit-bindgen writes is
/// `unsafe` (raw pointers into linear memory); nothing written by hand here is.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "calc",
    });

    use super::Calc;
    export!(Calc);
}

use bindings::Guest;
use bindings::exports::example::calc::ops::{self, CalcError, Division, Quotient, Rounding};

struct Calc;

impl Guest for Calc {
    fn add(a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
}

impl ops::Guest for Calc {
    fn divide(division: Division) -> Result<Quotient, CalcError> {
        divide(division)
    }
}

/// The division itself, testable on the host.
fn divide(d: Division) -> Result<Quotient, CalcError> {
    if d.divisor == 0 {
        return Err(CalcError::DivisionByZero);
    }
    let overflow = || CalcError::Overflow(format!("{} / {}", d.dividend, d.divisor));
    let mut value = d.dividend.checked_div(d.divisor).ok_or_else(overflow)?;
    let mut remainder = d.dividend - value * d.divisor;
    if remainder != 0 {
        let negative = (remainder < 0) != (d.divisor < 0);
        let step = match d.rounding {
            Some(Rounding::Down) if negative => -1,
            Some(Rounding::Up) if !negative => 1,
            _ => 0,
        };
        value = value.checked_add(step).ok_or_else(overflow)?;
        remainder = d.dividend - value * d.divisor;
    }
    Ok(Quotient { value, remainder })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn div(dividend: i32, divisor: i32, rounding: Option<Rounding>) -> Result<(i32, i32), String> {
        divide(Division {
            dividend,
            divisor,
            rounding,
        })
        .map(|q| (q.value, q.remainder))
        .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn divides_and_rounds() {
        assert_eq!(div(7, 2, None), Ok((3, 1)));
        assert_eq!(div(7, 2, Some(Rounding::Up)), Ok((4, -1)));
        assert_eq!(div(-7, 2, Some(Rounding::Down)), Ok((-4, 1)));
        assert_eq!(div(-7, 2, None), Ok((-3, -1)));
    }

    #[test]
    fn refuses_zero_and_overflow() {
        assert_eq!(div(1, 0, None), Err("CalcError::DivisionByZero".into()));
        assert!(div(i32::MIN, -1, None).unwrap_err().contains("Overflow"));
    }
}
