// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILendingPoolTypes} from "./ILendingPoolTypes.sol";

/// @title ILendingPoolExtension
/// @notice What the pool serves off its hot paths, from `LendingPoolExtension` behind the core's fallback (one more
/// `delegatecall`, same storage): the ERC-4626 reads (asset, total assets, conversions, limits, previews), the loan
/// reads, the once-a-term and once-an-auction paths (renewal, repayment in auction, settlement without a bid,
/// recoveries), claims, and the views of the pool's state.
interface ILendingPoolExtension is ILendingPoolTypes {
    /*//////////////////////////////////////////////////////////////
                            ERC-4626 READS
    //////////////////////////////////////////////////////////////*/

    /// @notice The borrow asset.
    function asset() external view returns (address);

    /// @notice Lenders' assets: idle cash + live debt (with interest accrued to now) + debt frozen in auctions,
    /// minus the larger of the first-loss reserve and the loss booked for running auctions (see `impairment`: the
    /// whole frozen debt plus settlement rewards, the outcome without a bid), minus the part of past recoveries
    /// still locked (see `lockedRecovery`). Falls only by booked losses; rises only by accrued interest and unlocking.
    /// This is the exit price (withdraw, redeem). Entries (deposit, mint) are priced higher while an auction runs or
    /// a recovery is locked: at these assets with the impairment above the reserve and the locked recovery added back
    /// (what lenders would hold if every running auction recovered its whole frozen debt and every lock released),
    /// so a depositor pays for the recovery it would share and no round trip profits (docs/loss-accounting.md).
    function totalAssets() external view returns (uint256);

    /// @notice Shares `assets` are worth at the exit price (`totalAssets`), rounded down. While an auction runs or a
    /// recovery is locked `deposit` mints fewer (`previewDeposit`): the preview is the more conservative one.
    function convertToShares(uint256 assets) external view returns (uint256);
    /// @notice Assets `shares` are worth at the exit price (`totalAssets`), rounded down.
    function convertToAssets(uint256 shares) external view returns (uint256);
    /// @notice What `deposit` accepts now: the room left in idle cash (112 bits), or 0 when it would mint no share.
    function maxDeposit(address) external view returns (uint256);
    /// @notice The shares `maxDeposit` buys at the entry price, rounded down.
    function maxMint(address) external view returns (uint256);
    /// @notice At most the owner's assets and at most the idle cash.
    function maxWithdraw(address owner) external view returns (uint256);
    /// @notice At most the owner's shares and the shares idle cash covers; 0 when they are worth no asset (`redeem`
    /// refuses those).
    function maxRedeem(address owner) external view returns (uint256);
    /// @notice Shares `deposit` would mint now at the entry price (see `totalAssets`), rounded down; equal to the
    /// execution in the same block.
    function previewDeposit(uint256 assets) external view returns (uint256);
    /// @notice Assets `mint` would charge now at the entry price, rounded up.
    function previewMint(uint256 shares) external view returns (uint256);
    /// @notice Shares `withdraw` would burn now, rounded up.
    function previewWithdraw(uint256 assets) external view returns (uint256);
    /// @notice Assets `redeem` would pay now, rounded down.
    function previewRedeem(uint256 shares) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                        LOANS OFF THE HOT PATH
    //////////////////////////////////////////////////////////////*/

    /// @notice Repays a loan in auction in full: its frozen debt plus the liquidation penalty, which cancels the
    /// auction and returns the collateral. `repay` forwards such a loan here; callable directly too. What the
    /// repayment recovers above the booked loss reaches the share price over the unlock period.
    function repayInAuction(
        uint256 loanId,
        Loan calldata loan,
        uint256 amount
    ) external returns (uint256 paid, Loan memory updated);

    /// @notice Extends a healthy loan by one loan duration by paying its accrued interest; principal is unchanged. A
    /// new term is new credit: only the borrower may renew, only while the collection is not frozen and borrowing is
    /// not paused (repayment stays open always), only while healthy at the loan's own liquidation threshold, and only
    /// within the borrower's limits in force now: the unit cap (`ExceedsUnitCap`) and the per-borrower cap on the
    /// owner's outstanding principal (`ExceedsBorrowerCap`). Not the ceiling: a renewal pays the interest, so it lowers
    /// the collection's exposure, and the ceiling counts every borrower's accrued interest. Open
    /// until the due date extended by the valuation's outage seconds since the term began, by one term at most
    /// (`LoanExpired(loanId, extendedDue)`); the same extended date plus grace is when a healthy loan becomes
    /// liquidatable for lateness. A pool freeze or pause does not extend it. A trait premium is not carried into the
    /// new term: it was proven once, at borrow, against a root that may since have been revoked or expired, so the
    /// renewed loan carries none and must be healthy without it (to keep a premium, repay and borrow again).
    function renew(uint256 loanId, Loan calldata loan) external returns (uint256 interestPaid, Loan memory updated);

    /// @notice Debt of `loan` now: interest accrued to this second, rounded up; the frozen debt when in auction.
    function debtOf(Loan calldata loan) external view returns (uint256);

    /// @notice Health factor in WAD (value x liquidation threshold / debt, rounded down: against the borrower), with
    /// the current price; reverts when the collection cannot be priced.
    function healthFactor(Loan calldata loan) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
              AUCTIONS WITHOUT A BID, RECOVERIES, CLAIMS
    //////////////////////////////////////////////////////////////*/

    /// @notice Settles an auction that ended without a bid: pays `settler` its reward (0.1 % of the frozen debt, from
    /// the part of the impairment set aside for it, the reserve absorbing first) and either keeps the loan in auction
    /// for a relist (`close` false; the updated commitment is returned and emitted in `AuctionRelisted`) or closes it
    /// (`close` true): the frozen debt is written off, reserve first, and the NFT goes to custody, whose later sale
    /// `bookRecovery` brings back. The liquidator, or a former one for the auctions it started before its
    /// replacement.
    function settleUnsold(
        uint256 loanId,
        Loan calldata loan,
        address settler,
        bool close
    ) external returns (uint256 writtenOff, Loan memory updated);

    /// @notice Pays `amount` of the asset into the pool as a recovery of a past loss (a custody sale of an NFT that
    /// found no bid): it reaches the share price over the unlock period, like every recovery. Anyone may pay.
    function bookRecovery(uint256 amount) external;

    /// @notice Pays out `account`'s claimable balance (auction surplus, keeper rewards) to `to`.
    function claim(address to) external returns (uint256 amount);

    /// @notice Sends ERC-1155 units that a borrower refused at repayment.
    function claimNft(address collection, uint256 tokenId, address to) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function valuation() external view returns (address);
    function liquidator() external view returns (address);
    function custody() external view returns (address);
    function cash() external view returns (uint256);
    function reserve() external view returns (uint256);
    /// @notice Debt of all live loans with interest accrued to now.
    function totalDebt() external view returns (uint256);
    /// @notice Debt frozen in running auctions.
    function auctionDebt() external view returns (uint256);
    /// @notice Loss booked for running auctions (their outcome without a bid), already deducted from `totalAssets`.
    function impairment() external view returns (uint256);
    /// @notice The part of past recoveries not yet in `totalAssets`, and when the last of it unlocks (0 when none).
    function lockedRecovery() external view returns (uint256 locked, uint256 until);
    /// @notice The period over which a new recovery unlocks (default 12 hours).
    function unlockPeriod() external view returns (uint256);
    /// @notice Cumulative bad debt written off, and the part of it the reserve absorbed.
    function badDebt() external view returns (uint256 total, uint256 absorbedByReserve);
    function borrowIndex() external view returns (uint256);
    /// @notice Current borrow rate per second (WAD) and utilisation (WAD).
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilization);
    function rateConfig() external view returns (RateConfig memory);
    function terms(address collection, uint32 termsId) external view returns (Terms memory);
    /// @notice A collection's current terms id, debt ceiling, live debt and frozen flag.
    function collectionState(address collection)
        external
        view
        returns (uint32 termsId, uint256 debtCeiling, uint256 debt, bool frozen);
    /// @notice The principal `borrower` owes against `collection` across its open loans, live or in auction.
    function borrowerPrincipal(address collection, address borrower) external view returns (uint256);
    function claimable(address account) external view returns (uint256);
    /// @notice Settlers' rewards credited while idle cash was short and not yet paid in: included in `claimable`,
    /// deducted from `totalAssets`, paid in from idle cash by the next `claim`.
    function rewardsOwed() external view returns (uint256);
    function nftClaimable(address owner, address collection, uint256 tokenId) external view returns (uint256);
}
