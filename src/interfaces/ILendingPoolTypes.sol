// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILendingPoolTypes
/// @notice Types, errors and events of the lending pool, shared by the three parts of its interface (see ILendingPool).
interface ILendingPoolTypes {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice Risk terms of a collection. Every change creates a new terms record; loans keep the record they were
    /// opened with, so a later change never makes an existing loan liquidatable or dearer. Fits one storage slot.
    struct Terms {
        uint8 standard; // 0 = unlisted, 1 = ERC-721, 2 = ERC-1155
        uint16 ltvBps; // maximum loan-to-value at origination
        uint16 liqThresholdBps; // health factor = value x threshold / debt; strictly above ltvBps
        uint16 haircutBps; // value = price x haircut (default 6,500)
        uint16 penaltyBps; // liquidation penalty on the debt, paid from auction proceeds
        uint16 keeperShareBps; // share of the penalty credited to the account that started the auction
        uint16 auctionStartBps; // auction start price as a multiple of the collateral value
        uint16 auctionReserveBps; // auction end (reserve) price as a fraction of the collateral value
        uint32 duration; // loan duration in seconds
        uint32 grace; // seconds after maturity during which only repayment is possible
        uint32 auctionDuration; // Dutch-auction length in seconds (24 h to 48 h)
    }

    /// @notice A loan, as committed by its hash. While live, `scaledDebt` times the borrow index is the debt; once in
    /// auction (`auctionStart != 0`) the debt is frozen at `frozenDebt`.
    struct Loan {
        address borrower;
        address collection;
        uint256 tokenId;
        uint256 amount; // 1 for ERC-721, the locked units for ERC-1155
        uint256 principal; // principal outstanding (interest excluded)
        uint256 scaledDebt; // debt divided by the borrow index at the last change
        uint256 premium; // trait premium per unit in the asset, as proven and capped at origination
        uint256 premiumMultipleWad; // that premium over the unit price at origination (WAD, rounded down, at most 10x):
        // the premium counts min(premium, this multiple x the current price), so a rise never grows it and a fall
        // shrinks it as the valuation's cap would
        uint256 frozenDebt; // debt at auction start; 0 while live
        uint256 impairment; // loss booked at auction start (frozen debt plus unpaid settlement rewards); 0 while live
        uint40 startTime;
        uint40 dueTime;
        uint40 auctionStart;
        uint32 termsId;
        uint64 outageBase; // the valuation's outage seconds before this term began: later ones extend the due date
    }

    /// @notice Interest-rate parameters (per-second WAD rates) and pool-wide switches. One storage slot.
    struct RateConfig {
        uint48 baseRate;
        uint48 slope1;
        uint48 slope2;
        uint16 kinkBps;
        uint16 reserveFactorBps;
        bool borrowPaused;
        uint64 minLoan;
    }

    /// @notice What the liquidation module needs to run an auction, computed by the pool at its start.
    struct AuctionTerms {
        uint256 debt; // frozen debt
        uint256 collateralValue; // price x amount x (1 + premium), no haircut
        uint256 startPrice;
        uint256 reservePrice;
        uint32 duration;
        address valuation; // the pool's valuation, whose outage clock the auction follows
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error ZeroAmount();
    error ZeroShares();
    error FeeOnTransfer(uint256 expected, uint256 received);
    error InsufficientLiquidity(uint256 requested, uint256 available);
    /// @notice `collection` has no terms in this pool (raised by borrows and by the guardian's per-collection
    /// setters before any `setTerms`).
    error TermsNotSet(address collection);
    error CollectionFrozen(address collection);
    error BorrowPaused();
    error InvalidAmount(uint256 amount);
    error NotApproved(address owner, address operator);
    error LoanTooSmall(uint256 amount, uint256 minLoan);
    error ExceedsLtv(uint256 principal, uint256 maxBorrow);
    /// @notice A borrow would take the collection's exposure (live debt, the new loan included, plus the debt frozen
    /// in its running auctions) above its ceiling.
    error ExceedsDebtCeiling(uint256 collectionDebt, uint256 ceiling);
    /// @notice A borrow would take `borrower`'s outstanding principal in the collection (this loan included) above
    /// the per-borrower cap.
    error ExceedsBorrowerCap(address borrower, uint256 principal, uint256 cap);
    /// @notice A loan would pledge `amount` units, above the collection's per-loan unit cap `maxUnits`.
    error ExceedsUnitCap(uint256 amount, uint256 maxUnits);
    /// @notice Only the loan's borrower may renew it.
    error NotBorrower(address caller, address borrower);
    /// @notice The valuation prices in `valuationDecimals`, the pool's asset has `assetDecimals`.
    error ValuationDecimalsMismatch(uint8 assetDecimals, uint8 valuationDecimals);
    /// @notice Terms whose auction would start at `auctionStartBps` of the value, below `minimumBps`, the multiple
    /// that covers an unflagged drop of the collection's valuation deviation (`10_000 / (1 - deviation)`).
    error AuctionStartBelowDeviation(uint256 auctionStartBps, uint256 minimumBps);
    error UnknownLoan(uint256 loanId);
    error LoanInAuction(uint256 loanId);
    error LoanNotInAuction(uint256 loanId);
    error LoanExpired(uint256 loanId, uint256 dueTime);
    error LoanUnhealthy(uint256 loanId, uint256 healthFactor);
    error LoanNotLiquidatable(uint256 loanId, uint256 healthFactor, uint256 liquidatableAt);
    error NotLiquidator(address caller);
    error UnsolicitedTransfer(address operator);
    /// @notice `setTerms` with a token standard other than 1 (ERC-721) or 2 (ERC-1155).
    error UnknownTokenStandard(uint8 standard);
    /// @notice `setTerms` for a collection listed under `listedStandard` with terms of another `standard`: open loans
    /// would be read with the wrong token interface.
    error TokenStandardMismatch(address collection, uint8 listedStandard, uint8 standard);
    /// @notice `setTerms` with a loan-to-value of zero or not strictly below the liquidation threshold (a loan would
    /// be liquidatable when opened).
    error LtvOutOfRange(uint256 ltvBps, uint256 liqThresholdBps);
    /// @notice `setTerms` with a liquidation threshold of 100 % or more (a loan could owe more than its collateral's
    /// value and stay healthy).
    error LiqThresholdNotBelowFull(uint256 liqThresholdBps);
    /// @notice `setTerms` with a haircut of zero or above 100 %.
    error HaircutOutOfRange(uint256 haircutBps);
    /// @notice `setTerms` with a liquidation penalty above `maxPenaltyBps`.
    error PenaltyAboveMax(uint256 penaltyBps, uint256 maxPenaltyBps);
    /// @notice `setTerms` with a keeper share of the penalty above 100 %.
    error KeeperShareAboveFull(uint256 keeperShareBps);
    /// @notice `setTerms` with an auction reserve of zero or above the auction start (`auctionStartBps`).
    error AuctionReserveOutOfRange(uint256 auctionReserveBps, uint256 auctionStartBps);
    /// @notice `setTerms` with a loan duration of zero.
    error ZeroLoanDuration();
    /// @notice `setTerms` with an auction duration outside [`minDuration`, `maxDuration`].
    error AuctionDurationOutOfRange(uint256 auctionDuration, uint256 minDuration, uint256 maxDuration);
    /// @notice A debt ceiling (`setTerms`, `setDebtCeiling`), borrower cap or unit cap (`setBorrowerCap`) of `value`,
    /// above `max`, the largest its storage field holds.
    error ExceedsStorageWidth(uint256 value, uint256 max);
    error InvalidRateConfig();
    error NotTightening();
    error NothingToClaim(address account);
    /// @notice A claim that includes a settler's reward not yet paid in (the pool was fully lent when it was earned)
    /// waits for idle cash: `available` is what the pool's balance holds for claims now.
    error ClaimNotFunded(uint256 amount, uint256 available);
    error ReserveTooLow(uint256 requested, uint256 available);
    error ExtensionMismatch(address extension);
    /// @notice An unlock period outside 1 hour to 7 days.
    error InvalidUnlockPeriod(uint256 period);
    /// @notice A settlement reported `proceeds` the pool does not hold: its `balance` is below what it now `owed`
    /// (idle cash, reserve included, plus every claimable balance).
    error ProceedsNotReceived(uint256 proceeds, uint256 balance, uint256 owed);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares);
    event Withdraw(
        address indexed sender, address indexed receiver, address indexed owner, uint256 assets, uint256 shares
    );
    /// @notice A loan opened: `receiver` (the caller) got `loan.principal`; `loan` is the commitment to pass back.
    event Borrow(uint256 indexed loanId, address indexed borrower, address indexed receiver, Loan loan);
    /// @notice A partial repayment; `loan` is the updated commitment.
    event Repay(uint256 indexed loanId, address indexed payer, uint256 paid, Loan loan);
    /// @notice A full repayment: the loan is closed and its collateral returned (or made claimable).
    event LoanRepaid(uint256 indexed loanId, address indexed payer, uint256 paid);
    event Renew(uint256 indexed loanId, uint256 interestPaid, Loan loan);
    event AuctionStarted(uint256 indexed loanId, address indexed keeper, uint256 impairment, Loan loan);
    /// @notice An auction settled: `proceeds` paid by `buyer` (0 and no buyer when it ended without a bid).
    event AuctionSettled(
        uint256 indexed loanId,
        address indexed buyer,
        uint256 proceeds,
        uint256 repaid,
        uint256 surplus,
        uint256 badDebt
    );
    /// @notice A shortfall booked in the same transaction: `fromReserve` absorbed first, `fromLenders` from the price.
    event BadDebt(uint256 indexed loanId, uint256 amount, uint256 fromReserve, uint256 fromLenders);
    /// @notice An auction ended without a bid and is relisted; `loan` is the updated commitment.
    event AuctionRelisted(uint256 indexed loanId, address indexed settler, Loan loan);
    /// @notice Whoever settled an ended auction was credited `reward` (claimable).
    event SettlerPaid(uint256 indexed loanId, address indexed settler, uint256 reward);
    /// @notice A recovery of `gain` was locked: `locked` in all now, unlocking linearly until `until`.
    event RecoveryLocked(uint256 gain, uint256 locked, uint256 until);
    /// @notice `from` paid `amount` into the pool as a recovery (a custody sale).
    event RecoveryBooked(address indexed from, uint256 amount);
    event UnlockPeriodSet(uint256 period);
    event Claim(address indexed account, address indexed to, uint256 amount);
    event NftClaimable(address indexed owner, address indexed collection, uint256 tokenId, uint256 amount);
    event TermsSet(address indexed collection, uint32 indexed termsId, Terms terms);
    event DebtCeilingSet(address indexed collection, uint256 ceiling);
    /// @notice The most principal one borrower may owe against `collection` (0: only the ceiling bounds it) and the
    /// most units one loan may pledge (0: no cap).
    event BorrowerCapSet(address indexed collection, uint256 cap, uint256 maxUnits);
    event CollectionFrozenSet(address indexed collection, bool frozen);
    event RateConfigSet(RateConfig config);
    event LiquidatorSet(address indexed liquidator);
    event CustodySet(address indexed custody);
    event ReserveWithdrawn(address indexed to, uint256 amount);
}
