//! The generated world's tests: codes, tiers, dates and agreements as
//! the input contract wants them.

use super::*;
use crate::normalize::{parse_credit_code, Raw};

fn params() -> Params {
    Params {
        seed: 3,
        members: 200,
        years: vec![2023, 2024],
        drift: 0.3,
        traps: 0.03,
    }
}

#[test]
fn generated_credit_codes_pass_the_check_character() {
    for c in companies(&params()) {
        assert!(
            parse_credit_code(&Raw::Text(c.code.clone())).is_ok(),
            "{}",
            c.code
        );
    }
}

#[test]
fn registry_has_senior_tiers_and_outsiders() {
    let cs = companies(&params());
    assert_eq!(cs[0].tier, "会长");
    assert!(cs
        .iter()
        .any(|c| c.vice_president_or_above() && c.tier == "副会长"));
    assert!(cs.iter().any(|c| !c.in_registry));
}

#[test]
fn derived_profit_tax_ignores_a_rejected_negative_tax() {
    let mut a = Annual {
        revenue: None,
        profit: Some(Decimal::from(10)),
        tax: Some(Decimal::from(5)),
        tax_negative_trap: false,
        profit_tax: None,
        jobs: None,
        donations: None,
        listed: None,
        stock_code: None,
        leading: None,
        top500: None,
        top100: None,
        party_org: None,
        party_members: None,
    };
    assert_eq!(a.profit_tax_counted(), Some(Decimal::from(15)));
    a.tax_negative_trap = true;
    assert_eq!(a.profit_tax_counted(), None);
}
