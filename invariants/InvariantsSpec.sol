// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice Every property of the campaign, by ID, with its one-line statement (SECURITY.md §2 numbering).
/// @dev The same strings are the failure messages: a failed postcondition records `ID: statement`, and the forge
/// wrappers print it. invariants/README.md lists them with where each is checked.
/// Notation: book = cash + totalDebt + auctionDebt (the pool's gross assets, reserve included);
/// totalAssets = book - max(reserve, impairment) (lenders' assets).
abstract contract InvariantsSpec {
    // Accounting
    string internal constant A1_LEDGER =
        "A1_LEDGER: book == deposits - withdrawals + interest + retained penalties - bad debt - reserve withdrawn, up to rounding in the pool's favour";
    string internal constant A1_DEBT =
        "A1_DEBT: total debt == principal lent + interest - repaid - debt closed by auctions (sold or written off), up to rounding in the pool's favour";
    string internal constant A1_ASSETS =
        "A1_ASSETS: totalAssets == cash + totalDebt + auctionDebt - max(reserve, impairment), and the reserve never exceeds the book";
    string internal constant A2_BACKING =
        "A2_BACKING: token balance == cash + all claimable balances + donations, exactly; donations change neither totalAssets nor totalSupply";
    string internal constant A3_SHARES = "A3_SHARES: the shares of all holders sum to totalSupply";
    string internal constant A3_DEBTS =
        "A3_DEBTS: loan debts sum to totalDebt (and per collection) within 1 wei per loan; auction debts and impairments sum exactly";
    string internal constant A4_PRICE =
        "A4_PRICE: the share price never falls, except by at most the impairment booked or bad debt written off in that very call";
    string internal constant A5_NO_FREE_VALUE =
        "A5_NO_FREE_VALUE: deposit then redeem in one block returns at most the deposit; previews equal executions";
    string internal constant A6_LIQUIDITY =
        "A6_LIQUIDITY: maxWithdraw <= cash, and withdrawing up to maxWithdraw to an accepted receiver always succeeds";

    // Loans and custody
    string internal constant L1_ORIGINATION =
        "L1_ORIGINATION: a borrow succeeds only with a fresh valuation and principal <= price x amount x (1 + premium) x haircut x LTV";
    string internal constant L2_CUSTODY_721 =
        "L2_CUSTODY_721: the pool holds an ERC-721 token iff exactly one live loan references it (or it was donated, and then never lent against)";
    string internal constant L3_CUSTODY_1155 =
        "L3_CUSTODY_1155: the pool's ERC-1155 balance per id == units of live loans + refused units still claimable";
    string internal constant L4_STATE_MACHINE =
        "L4_STATE_MACHINE: live loans match their last emitted commitment; closed loan ids stay closed; ids are never reused";
    string internal constant L5_RETURN =
        "L5_RETURN: a full repayment closes the loan and returns the NFT to the borrower in the same call (or makes refused units claimable by it)";
    string internal constant L6_REPAY_LIVENESS =
        "L6_REPAY_LIVENESS: repayment in full by a funded, accepted payer always succeeds (outages, pauses, freezes, hostile borrowers, auctions)";
    string internal constant L7_HEALTHY_NOT_AUCTIONABLE =
        "L7_HEALTHY_NOT_AUCTIONABLE: an auction starts only below health 1 or after maturity + grace; with a working oracle such a loan can always be auctioned";
    string internal constant L8_TERMS_FIXED =
        "L8_TERMS_FIXED: a governance change never alters an existing loan's debt, health factor or terms";
    string internal constant L9_NO_THEFT =
        "L9_NO_THEFT: nobody borrows against, withdraws or redeems another account's assets without its approval";
    string internal constant E1_EXPOSURE =
        "E1_EXPOSURE: after every step a collection's exposure (live debt + debt frozen in its running auctions, as the harness records them) is at most its ceiling, or no more than the step's interest above it";
    string internal constant E2_BORROWER_CAP =
        "E2_BORROWER_CAP: a borrow succeeds only if the owner's outstanding principal in the collection (harness records, new loan included) stays within the per-borrower cap, and its units within the per-loan unit cap";
    string internal constant E3_RENEW_CREDIT =
        "E3_RENEW_CREDIT: a renewal succeeds only by the borrower, unfrozen and unpaused, healthy without the trait premium, and carries no premium";

    // Auctions and bad debt
    string internal constant B1_PRICE_CURVE =
        "B1_PRICE_CURVE: an auction's price never increases over time and stays within [reserve, start]";
    string internal constant B2_WATERFALL =
        "B2_WATERFALL: settlement books bad debt = debt - min(proceeds, debt), borrower surplus and keeper share exactly";
    string internal constant B3_BAD_DEBT_AT_EXIT =
        "B3_BAD_DEBT_AT_EXIT: bad debt grows only in a settlement, once the NFT has left the pool";
    string internal constant B4_FROZEN_DEBT = "B4_FROZEN_DEBT: the debt of a loan in auction stays at its start value";
    string internal constant B5_SETTLE_LIVENESS =
        "B5_SETTLE_LIVENESS: anyone can close every auction: buy at the current price, or settle once its duration has run";
    string internal constant B6_ONCE = "B6_ONCE: a closed auction can be neither bought nor settled again";
    string internal constant B7_START_ABOVE_DROP =
        "B7_START_ABOVE_DROP: an auction starts at or above the collateral value before any drop the valuation leaves unflagged: start x (1 - deviation) >= value";

    // Interest
    string internal constant I1_INDEX = "I1_INDEX: the borrow index and the debt never decrease with time alone";
    string internal constant I2_RATE =
        "I2_RATE: utilisation is within [0, 1] and the rate within [base, base + slope1 + slope2] of the configuration";
    string internal constant I3_RESERVE_SHARE =
        "I3_RESERVE_SHARE: over pure time the reserve grows by the reserve factor's share of the interest (rounded down)";
    string internal constant I4_INTEREST =
        "I4_INTEREST: over pure time the live debt D grows by D x (e^(rate x dt) - 1) at the kink rate of the configuration and utilisation, within 1 ppm + 2 wei (and the pool's Taylor remainder below)";
    string internal constant V1_LIVENESS =
        "V1_LIVENESS: a key action is refused only for a reason its handler names (blocklisted payer, unusable price, unhealthy or expired loan, zero shares)";

    // Oracle and signed prices
    string internal constant O1_VALUE_BOUNDS =
        "O1_VALUE_BOUNDS: a usable price == min(TWAP, normalised floor); an unusable one blocks borrows and auction starts";
    string internal constant O2_CONSISTENT_VIEWS =
        "O2_CONSISTENT_VIEWS: price() twice in a call == priceView; pool views read in a receiver hook == the values after the call";
    string internal constant O3_TWAP_WRITES =
        "O3_TWAP_WRITES: one observation per block; once minSales exist each sale is recorded within +-clamp of the clamp anchor (a TWAP at least one anchor period old)";
    string internal constant O4_TRAIT =
        "O4_TRAIT: a trait premium counts only under the current signer's unexpired root with a valid proof, capped at multiple x price";
    string internal constant R1_REENTRANCY =
        "R1_REENTRANCY: every pool and auction entry point re-entered from a receiver hook reverts with Reentrancy()";

    // Governance
    string internal constant G1_ONLY_TIMELOCK =
        "G1_ONLY_TIMELOCK: only the 48 h timelock changes parameters or upgrades, never before its delay; the guardian only tightens";
    string internal constant G2_PAUSE_SAFE =
        "G2_PAUSE_SAFE: pausing borrows or freezing a collection never blocks repayment, settlement or withdrawal of idle cash";
}
