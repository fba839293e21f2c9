//! Exact money: integer base units with a token and a number of decimals, never a float.

use std::fmt;
use std::str::FromStr;

/// The unit an amount is counted in.
///
/// Grass points are not money; they are kept as their own token so that nothing ever adds them
/// to a fiat or crypto amount by accident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Token {
    /// US dollars, as Storj pays out (the node API reports cents or micro-dollars).
    Usd,
    /// Golem Network Token, 18 decimals.
    Glm,
    /// Streamr DATA, 18 decimals.
    Data,
    /// STORJ token, 8 decimals, used only for prices.
    Storj,
    /// Polygon POL, 18 decimals (gas).
    Pol,
    /// Grass points, 0 decimals in the cloud API but fractional values are allowed.
    Points,
}

impl Token {
    pub const ALL: [Token; 6] = [
        Token::Usd,
        Token::Glm,
        Token::Data,
        Token::Storj,
        Token::Pol,
        Token::Points,
    ];

    /// Stable lowercase name used in the database, the API and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Token::Usd => "usd",
            Token::Glm => "glm",
            Token::Data => "data",
            Token::Storj => "storj",
            Token::Pol => "pol",
            Token::Points => "points",
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Token {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Token::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| MoneyError::UnknownToken(s.to_owned()))
    }
}

/// Why an amount could not be represented exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not a decimal number")]
    NotDecimal(String),
    #[error("`{input}` has more than {decimals} decimal places and would lose precision")]
    TooPrecise { input: String, decimals: u8 },
    #[error("amount `{0}` is out of range")]
    Overflow(String),
    #[error("unknown token `{0}`")]
    UnknownToken(String),
    #[error("cannot combine {left} with {right}")]
    TokenMismatch { left: Token, right: Token },
}

/// An exact amount: `amount` base units of `token`, where one whole token is `10^decimals` units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    pub token: Token,
    pub amount: i128,
    pub decimals: u8,
}

/// The largest number of decimals we accept; 10^38 still fits an i128.
const MAX_DECIMALS: u8 = 36;

impl Money {
    pub fn new(token: Token, amount: i128, decimals: u8) -> Self {
        Money {
            token,
            amount,
            decimals,
        }
    }

    pub fn zero(token: Token, decimals: u8) -> Self {
        Money {
            token,
            amount: 0,
            decimals,
        }
    }

    /// Parses a decimal string such as `"12.500000000000000001"` exactly into base units.
    ///
    /// Fewer fractional digits than `decimals` are padded; more are accepted only when the extra
    /// digits are zeros, because dropping a non-zero digit would silently change the amount.
    pub fn parse_decimal(input: &str, token: Token, decimals: u8) -> Result<Self, MoneyError> {
        if decimals > MAX_DECIMALS {
            return Err(MoneyError::Overflow(input.to_owned()));
        }
        let s = input.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(MoneyError::NotDecimal(input.to_owned()));
        }
        let frac_trimmed = if frac_part.len() > usize::from(decimals) {
            let (keep, extra) = frac_part.split_at(usize::from(decimals));
            if extra.bytes().any(|b| b != b'0') {
                return Err(MoneyError::TooPrecise {
                    input: input.to_owned(),
                    decimals,
                });
            }
            keep
        } else {
            frac_part
        };
        let overflow = || MoneyError::Overflow(input.to_owned());
        let mut amount: i128 = 0;
        for b in int_part.bytes().chain(frac_trimmed.bytes()) {
            amount = amount
                .checked_mul(10)
                .and_then(|a| a.checked_add(i128::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let pad = u32::from(decimals) - frac_trimmed.len() as u32;
        amount = amount.checked_mul(10i128.pow(pad)).ok_or_else(overflow)?;
        Ok(Money {
            token,
            amount: if negative { -amount } else { amount },
            decimals,
        })
    }

    /// The amount as a decimal string with exactly `decimals` fractional digits.
    pub fn to_decimal_string(&self) -> String {
        let digits = self.amount.unsigned_abs().to_string();
        let d = usize::from(self.decimals);
        let sign = if self.amount < 0 { "-" } else { "" };
        if d == 0 {
            return format!("{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = d + 1);
        let (int_part, frac_part) = padded.split_at(padded.len() - d);
        format!("{sign}{int_part}.{frac_part}")
    }

    /// Re-expresses the amount with more decimals; fewer decimals are refused when they would
    /// drop a non-zero digit.
    pub fn rescale(&self, decimals: u8) -> Result<Self, MoneyError> {
        if decimals > MAX_DECIMALS {
            return Err(MoneyError::Overflow(self.to_decimal_string()));
        }
        if decimals >= self.decimals {
            let factor = 10i128.pow(u32::from(decimals - self.decimals));
            let amount = self
                .amount
                .checked_mul(factor)
                .ok_or_else(|| MoneyError::Overflow(self.to_decimal_string()))?;
            Ok(Money {
                amount,
                decimals,
                ..*self
            })
        } else {
            let factor = 10i128.pow(u32::from(self.decimals - decimals));
            if self.amount % factor != 0 {
                return Err(MoneyError::TooPrecise {
                    input: self.to_decimal_string(),
                    decimals,
                });
            }
            Ok(Money {
                amount: self.amount / factor,
                decimals,
                ..*self
            })
        }
    }

    /// Adds two amounts of the same token, aligning decimals exactly.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.token != other.token {
            return Err(MoneyError::TokenMismatch {
                left: self.token,
                right: other.token,
            });
        }
        let decimals = self.decimals.max(other.decimals);
        let (a, b) = (self.rescale(decimals)?, other.rescale(decimals)?);
        let amount = a
            .amount
            .checked_add(b.amount)
            .ok_or_else(|| MoneyError::Overflow(a.to_decimal_string()))?;
        Ok(Money {
            token: self.token,
            amount,
            decimals,
        })
    }

    /// A lossy float for charts and the optimizer only; never stored.
    pub fn to_f64_lossy(&self) -> f64 {
        self.amount as f64 / 10f64.powi(i32::from(self.decimals))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.token)
    }
}

/// A decimal string without trailing fractional zeros, for showing an amount or passing it to a
/// node's CLI: `"0.000100"` → `"0.0001"`, `"2.000"` → `"2"`; integers are left alone.
pub fn trim_decimal(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_glm_strings_exactly() {
        let m = Money::parse_decimal("0.000000000000000001", Token::Glm, 18).unwrap();
        assert_eq!(m.amount, 1);
        let m = Money::parse_decimal("123.45", Token::Glm, 18).unwrap();
        assert_eq!(m.amount, 123_450_000_000_000_000_000);
        assert_eq!(m.to_decimal_string(), "123.450000000000000000");
        let m = Money::parse_decimal("-7", Token::Usd, 2).unwrap();
        assert_eq!(m.amount, -700);
        assert_eq!(m.to_decimal_string(), "-7.00");
        assert_eq!(
            Money::parse_decimal(".5", Token::Usd, 2).unwrap().amount,
            50
        );
    }

    #[test]
    fn refuses_lossy_or_garbage_input() {
        assert!(matches!(
            Money::parse_decimal("0.001", Token::Usd, 2),
            Err(MoneyError::TooPrecise { .. })
        ));
        // Trailing zeros beyond the precision carry no information and are accepted.
        assert_eq!(
            Money::parse_decimal("1.2300", Token::Usd, 2)
                .unwrap()
                .amount,
            123
        );
        for bad in ["", "-", ".", "1e5", "1,5", "abc", "1.2.3", " 1 2"] {
            assert!(
                Money::parse_decimal(bad, Token::Glm, 18).is_err(),
                "{bad:?} must be refused"
            );
        }
        assert!(matches!(
            Money::parse_decimal("999999999999999999999999", Token::Glm, 18),
            Err(MoneyError::Overflow(_))
        ));
    }

    #[test]
    fn rescale_and_add_are_exact() {
        let cents = Money::new(Token::Usd, 1234, 2);
        let micro = Money::new(Token::Usd, 1, 6);
        let sum = cents.checked_add(&micro).unwrap();
        assert_eq!(sum, Money::new(Token::Usd, 12_340_001, 6));
        assert!(
            sum.rescale(2).is_err(),
            "dropping the last micro-dollar must be refused"
        );
        assert_eq!(
            Money::new(Token::Usd, 12_340_000, 6)
                .rescale(2)
                .unwrap()
                .amount,
            1234
        );
        let glm = Money::new(Token::Glm, 1, 18);
        assert!(matches!(
            cents.checked_add(&glm),
            Err(MoneyError::TokenMismatch { .. })
        ));
    }

    #[test]
    fn token_names_round_trip() {
        for t in Token::ALL {
            assert_eq!(t.as_str().parse::<Token>().unwrap(), t);
        }
        assert!("doge".parse::<Token>().is_err());
    }

    #[test]
    fn trim_decimal_drops_only_fractional_zeros() {
        assert_eq!(trim_decimal("0.000100"), "0.0001");
        assert_eq!(trim_decimal("2.000"), "2");
        assert_eq!(trim_decimal("2."), "2");
        assert_eq!(trim_decimal("100"), "100");
        assert_eq!(trim_decimal("0"), "0");
        assert_eq!(trim_decimal("10.50"), "10.5");
    }
}
