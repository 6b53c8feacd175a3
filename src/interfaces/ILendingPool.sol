// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGoverned} from "./IGoverned.sol";
import {ILendingPoolTypes} from "./ILendingPoolTypes.sol";

/// @title ILendingPool
/// @notice A peer-to-pool NFT lender for one borrow asset. Lenders hold ERC-4626 shares of the pool; borrowers lock an
/// ERC-721 token or an ERC-1155 amount of an allow-listed collection and draw a loan at the kink rate.
/// @dev Loans are stored as one hash commitment each: callers pass the full `Loan` (emitted in every loan event) and
/// the pool checks `keccak256(abi.encode(loan))` against its record. This keeps every loan operation to one storage
/// slot and makes each loan's terms immutable by construction.
/// Warning: total assets come from tracked accounting, never from the token balance: donations change nothing.
/// Warning: the borrow asset must be a plain ERC-20 (no fee on transfer, no rebasing, no hooks). Inbound transfers
/// are checked and a short receipt reverts with `FeeOnTransfer`.
/// The pool is one proxy whose implementation has two halves: `LendingPool` (the hot paths) and, behind its fallback,
/// `LendingPoolExtension` (conversions, views, claims and administration) sharing the same storage; callers see one
/// contract with this interface.
/// Warning: valuation comes from one trusted `IValuation`; only borrow, renew and the start of a liquidation read
/// it. Repayment, reclaiming the NFT and withdrawing idle cash never depend on the oracle and are never pausable.
interface ILendingPool is ILendingPoolTypes, IGoverned {
    /*//////////////////////////////////////////////////////////////
                         SHARE TOKEN (ERC-20)
    //////////////////////////////////////////////////////////////*/

    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    /// @notice The asset's decimals plus 6 (the virtual-share offset).
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address owner) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);

    /// @notice Initialises a proxy once; the implementation itself can never be initialised.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address timelock_,
        address guardian_,
        address custody_,
        RateConfig calldata config
    ) external;

    /// @notice The implementation half that serves conversions, views, claims and administration.
    function EXTENSION() external view returns (address);

    /*//////////////////////////////////////////////////////////////
                              ERC-4626 LP SIDE
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

    /// @notice Mints shares at the entry price (see `totalAssets`), rounded down.
    function deposit(uint256 assets, address receiver) external returns (uint256 shares);
    /// @notice Charges assets at the entry price (see `totalAssets`), rounded up.
    function mint(uint256 shares, address receiver) external returns (uint256 assets);
    /// @notice Never pausable; limited only by idle cash.
    function withdraw(uint256 assets, address receiver, address owner) external returns (uint256 shares);
    /// @notice Never pausable; limited only by idle cash.
    function redeem(uint256 shares, address receiver, address owner) external returns (uint256 assets);

    /*//////////////////////////////////////////////////////////////
                                 LOANS
    //////////////////////////////////////////////////////////////*/

    /// @notice Locks `amount` of `tokenId` of `collection` owned by `owner` and sends `principal` to the caller.
    /// @dev The caller must be `owner` or approved by it on the collection (`isApprovedForAll`, or `getApproved` for
    /// ERC-721). `owner` becomes the borrower of record: the NFT returns to it on full repayment. With a trait
    /// `proof` the claimed `premium` (per unit, in the asset, as the leaf states) is verified and capped by the
    /// valuation, and stored as `Loan.premium` with its multiple of the price now (`premiumMultipleWad`): the loan is
    /// valued at (price + min(premium, multiple x price)) x amount, so the premium never grows with the price and shrinks
    /// with it as the valuation's cap would. With an empty proof there is none. The loan records the valuation's outage
    /// seconds so far (`Loan.outageBase`): later outages extend its due date (see `renew`).
    /// Reverts when the collection is unlisted or frozen, borrowing is paused, the oracle is in an outage, the loan is
    /// below the minimum, above the LTV, above the collection's debt ceiling (its exposure: live debt with the new loan
    /// included plus the debt frozen in its running auctions, `ExceedsDebtCeiling`), above the per-borrower cap (the
    /// owner's outstanding principal in the collection with this loan, `ExceedsBorrowerCap`), above the per-loan unit
    /// cap (`ExceedsUnitCap`), or above the cash.
    function borrow(
        address collection,
        uint256 tokenId,
        uint256 amount,
        uint256 principal,
        address owner,
        uint256 premium,
        bytes32[] calldata proof
    ) external returns (uint256 loanId, Loan memory loan);

    /// @notice Repays up to `amount` of loan `loanId` (anyone may pay for the borrower): it pays min(amount, debt).
    /// A full repayment returns the NFT to the borrower in the same transaction (an ERC-1155 amount the borrower
    /// refuses becomes claimable with `claimNft`). A partial one must leave at least the minimum loan.
    /// A loan in auction can still be repaid in full, for its frozen debt plus the liquidation penalty; this cancels
    /// the auction. Never reads the oracle; never pausable.
    function repay(
        uint256 loanId,
        Loan calldata loan,
        uint256 amount
    ) external returns (uint256 paid, Loan memory updated);

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

    /// @notice The stored commitment of `loanId`, zero when closed or unknown.
    function loanHash(uint256 loanId) external view returns (bytes32);

    /*//////////////////////////////////////////////////////////////
                     LIQUIDATION MODULE (liquidator only)
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves a liquidatable loan into auction. Liquidatable: health factor below 1 with interest accrued, or
    /// past maturity plus grace. Freezes its debt, books the outcome without a bid as impairment (the whole frozen
    /// debt plus the rewards of up to four settlements, 0.1 % of the debt each) so no lender can exit ahead of it,
    /// and returns the auction terms, with the valuation whose outage clock the auction follows. Reverts during an
    /// oracle outage.
    function startAuction(
        uint256 loanId,
        Loan calldata loan,
        address keeper
    ) external returns (AuctionTerms memory terms, Loan memory updated);

    /// @notice Settles a loan in auction. With a `buyer`, `proceeds` must already have been paid into the pool: the
    /// waterfall repays the frozen debt, then the penalty (reserve and keeper), then credits the surplus to the
    /// borrower as claimable, and sends the NFT to the buyer. Without a buyer (no bid) the NFT goes to the custody
    /// address. Any shortfall is written off in the same transaction: first from the reserve, then from lenders.
    /// What the settlement recovers above the booked loss is locked and reaches the share price over the unlock
    /// period. The liquidator, or a former one for the auctions it started before it was replaced.
    /// Reverts `ProceedsNotReceived` when, after booking `proceeds`, the pool's balance does not cover its idle cash
    /// plus every claimable balance: a module cannot book money it did not pay in.
    function settleAuction(
        uint256 loanId,
        Loan calldata loan,
        address buyer,
        uint256 proceeds,
        address keeper
    ) external returns (uint256 badDebt);

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
    /// @notice What counts against a collection's ceiling besides its live debt (`collectionState`): the debt frozen
    /// in its running auctions (relists included); and the per-borrower limits: the principal cap (0: only the
    /// ceiling bounds a borrower) and the units one loan may pledge (0: no cap).
    function collectionExposure(address collection)
        external
        view
        returns (uint256 auctionDebt, uint256 borrowerCap, uint256 maxUnits);
    /// @notice The principal `borrower` owes against `collection` across its open loans, live or in auction.
    function borrowerPrincipal(address collection, address borrower) external view returns (uint256);
    function claimable(address account) external view returns (uint256);
    /// @notice Settlers' rewards credited while idle cash was short and not yet paid in: included in `claimable`,
    /// deducted from `totalAssets`, paid in from idle cash by the next `claim`.
    function rewardsOwed() external view returns (uint256);
    function nftClaimable(address owner, address collection, uint256 tokenId) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Lists a collection or changes its terms (new terms id; open loans keep theirs). Timelock only; accrues
    /// first. Requires ltv < liquidation threshold < 100 %, a haircut <= 100 %, an auction of 24 h to 48 h whose reserve
    /// is below its start, an auction start at least `10_000 / (1 - deviation)` of the value for the collection's
    /// current valuation deviation (`AuctionStartBelowDeviation`), and a standard that never changes once listed.
    function setTerms(address collection, Terms calldata terms, uint256 debtCeiling) external returns (uint32 termsId);

    /// @notice Sets a collection's debt ceiling. The timelock may raise or lower it; the guardian may only lower it.
    function setDebtCeiling(address collection, uint256 ceiling) external;

    /// @notice Sets the most principal one borrower may owe against `collection` across its loans (`cap`; 0: no cap
    /// of its own, the ceiling bounds it) and the most units one loan may pledge (`maxUnits`; 0: no cap; an ERC-1155
    /// stack is auctioned as one lot, so this is the depth the market is taken to absorb at the price, see
    /// docs/exposure.md). The timelock may raise or lower both; the guardian may only lower them: it may not set 0
    /// over a cap, nor a first principal cap above the ceiling. Loans already open are not touched.
    function setBorrowerCap(address collection, uint256 cap, uint256 maxUnits) external;

    /// @notice Freezes a collection against new loans (guardian or timelock); only the timelock unfreezes.
    function setCollectionFrozen(address collection, bool frozen) external;

    /// @notice Sets the rate model, reserve factor, minimum loan and the borrow pause. Timelock only; accrues first.
    function setRateConfig(RateConfig calldata config) external;

    /// @notice Pauses new borrows (guardian or timelock). Only the timelock unpauses, through `setRateConfig`.
    function pauseBorrows() external;

    /// @notice Sets the liquidation module. Timelock only. The module replaced may still settle (and relist) the
    /// auctions it started before the change, so none is stranded.
    function setLiquidator(address liquidator) external;

    /// @notice Sets the period over which recoveries unlock, 1 hour to 7 days. Timelock only.
    function setUnlockPeriod(uint256 period) external;

    /// @notice Sets where NFTs of auctions without a bid go. Timelock only; emits `CustodySet`.
    function setCustody(address custody) external;

    /// @notice Withdraws part of the reserve not earmarked for running auctions, from idle cash. Timelock only.
    function withdrawReserve(uint256 amount, address to) external;
}
