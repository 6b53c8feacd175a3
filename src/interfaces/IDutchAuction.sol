// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ILendingPool} from "./ILendingPool.sol";
import {ILendingPoolTypes} from "./ILendingPoolTypes.sol";

/// @title IDutchAuction
/// @notice The liquidation module of one LendingPool. The pool decides whether a loan is liquidatable, holds the
/// collateral and every unit of money, and computes each auction's terms; this module runs the clock and the price
/// curve and routes buyers into the pool.
/// @dev Auctions are stored as one hash commitment each, like the pool's loans: `start` emits the full `Auction` and
/// callers pass it back to `buy` and `settle`. One storage slot per auction is what keeps starting an auction within
/// its gas budget; a stored record of these fields would need two fresh slots (44,200 gas) on its own.
/// Price: `startPrice x (reservePrice / startPrice) ^ (elapsed / duration)`, an exponential decay that loses the same
/// fraction of its value every second, reaches the reserve exactly at `duration` and stays there (see `AuctionLib`).
/// Elapsed time excludes every second during which the collection's valuation was in an outage: the clock stops while
/// the oracle is blind, so the price cannot fall while nobody can judge it.
/// Warning: nothing here is pausable. Anyone can start an auction for a liquidatable loan, buy it, or settle it once it
/// ended without a buyer. Every outbound payment (surplus, keeper reward) is a claimable balance in the pool, and the
/// NFT goes to the buyer, who is the caller, so no third party can block a settlement.
interface IDutchAuction {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice A running auction, committed by `keccak256(abi.encode(auction))` under its loan id.
    struct Auction {
        address keeper; // who started it: receives the keeper share of the liquidation penalty
        address valuation; // the valuation whose outage clock extends the auction (the pool's at start)
        uint256 startPrice; // price at `start`, in the pool's asset
        uint256 reservePrice; // price from `start + duration` on (plus outages); never zero
        uint40 start; // block timestamp of this round's start; the loan's `auctionStart` is the first round's
        uint32 duration; // seconds of decay from the start price to the reserve, from the loan's terms
        uint64 outageBase; // the valuation's cumulative outage seconds at the start
        uint8 round; // 0 for the first auction, then one more per relist (at most MAX_RELISTS)
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The pool given to `initialize` is not the pool this implementation was built for.
    error WrongPool(address given, address expected);
    /// @notice An auction for `loanId` has already been started.
    error AuctionAlreadyStarted(uint256 loanId);
    /// @notice `loanId` has no running auction here: never started, already bought or settled, or (from the views)
    /// cancelled by a repayment. `buy` and `settle` of an auction whose loan was repaid revert with the pool's
    /// `UnknownLoan` instead: the pool checks the loan in the same transaction.
    error AuctionNotLive(uint256 loanId);
    /// @notice The `auction` passed for `loanId` is not the one committed at its start.
    error AuctionMismatch(uint256 loanId, bytes32 committed, bytes32 given);
    /// @notice `buy` when the auction's current `price` is above the buyer's limit `maxPrice` (slippage bound).
    error PriceAboveBuyerLimit(uint256 price, uint256 maxPrice);
    /// @notice `settle` before the auction ran its full duration; `elapsed` excludes oracle outages.
    error AuctionNotEnded(uint256 loanId, uint256 elapsed, uint256 duration);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An auction started; `auction` is what `buy` and `settle` take back.
    event AuctionStarted(uint256 indexed loanId, address indexed keeper, Auction auction);
    /// @notice `buyer` bought the collateral of `loanId` for `price`, paid into the pool.
    event AuctionBought(uint256 indexed loanId, address indexed buyer, uint256 price);
    /// @notice An auction round ended without a buyer and `caller` relisted it: `auction` is the new round, which
    /// `buy` and `settle` take from now on.
    event AuctionRelisted(uint256 indexed loanId, address indexed caller, Auction auction);
    /// @notice An auction ended without a buyer and was closed by `caller`; the NFT went to the pool's custody.
    event AuctionClosed(uint256 indexed loanId, address indexed caller, uint256 badDebt);

    /*//////////////////////////////////////////////////////////////
                                ENTRY POINTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Starts the auction of `loanId`; anyone may call it and becomes its keeper.
    /// @dev The pool checks liquidatability (health factor below 1 with interest accrued, or past maturity plus
    /// grace; otherwise `LoanNotLiquidatable`), reverts with `ValuationUnavailable` during an oracle outage, freezes
    /// the debt and returns the terms. Reverts `AuctionAlreadyStarted` when this module already ran one for `loanId`.
    /// @param loan The loan as committed in the pool (from its latest `Borrow`/`Repay`/`Renew` event).
    /// @return auction The committed auction, also emitted in `AuctionStarted`.
    /// @return updated The loan as now committed in the pool (debt frozen, `auctionStart` set), for `buy` and `settle`.
    function start(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan
    ) external returns (Auction memory auction, ILendingPoolTypes.Loan memory updated);

    /// @notice Buys the collateral of `loanId` at the current price, at most `maxPrice`. The buyer must have approved
    /// this contract for the price in the pool's asset: it moves straight from the buyer to the pool. The pool repays
    /// the frozen debt, pays the penalty, credits any surplus to the borrower as claimable, writes off any shortfall
    /// and sends the NFT to the caller. Works until the auction is settled, at the reserve once it has ended.
    /// Reverts `AuctionNotLive`/`AuctionMismatch` for an auction this module does not hold, `PriceAboveBuyerLimit`, and the
    /// pool's `UnknownLoan` when the loan was repaid during the auction.
    /// @param loan The loan in auction, as returned by `start` (from the pool's `AuctionStarted` event).
    /// @param auction The auction as emitted by this contract's `AuctionStarted` event.
    /// @return price What the buyer paid.
    function buy(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction,
        uint256 maxPrice
    ) external returns (uint256 price);

    /// @notice Settles an auction round that ran its full duration (plus outages) without a buyer; anyone may call it
    /// and is paid for it by the pool (0.1 % of the frozen debt, claimable). An unsold NFT keeps its value for the
    /// lenders: the first MAX_RELISTS settlements relist it, a new round from the last reserve price down to half of
    /// it (`AuctionRelisted`); only the settlement of the last round writes the debt off (already booked as
    /// impairment since the start) and sends the NFT to the pool's custody, whose later sale `bookRecovery` brings
    /// back. Until someone settles, `buy` keeps selling at the round's reserve price: the documented rule, since the
    /// relist would start from that same price.
    /// @return badDebt The debt written off (0 on a relist).
    /// @return next The new round after a relist (all zero after the final close).
    /// @return updated The loan as the pool now commits it (after a relist), for `buy` and `settle`.
    function settle(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) external returns (uint256 badDebt, Auction memory next, ILendingPoolTypes.Loan memory updated);

    /// @notice How often an unsold auction is relisted before its NFT goes to custody.
    function MAX_RELISTS() external view returns (uint8);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The pool this module liquidates for (an immutable of the implementation).
    function pool() external view returns (address);

    /// @notice The pool's borrow asset, in which prices are paid (an immutable of the implementation).
    function asset() external view returns (address);

    /// @notice The commitment of `loanId`'s auction: zero when none was started or it was bought or settled.
    function auctionHash(uint256 loanId) external view returns (bytes32);

    /// @notice Whether `loanId` has an auction that `buy` (and, once ended, `settle`) can still close: started here,
    /// not bought or settled, and its loan not repaid.
    function isLive(uint256 loanId) external view returns (bool);

    /// @notice The seconds of `auction` (of a loan against `collection`) that count towards its decay now: the time
    /// since its start minus the outages of its valuation for `collection` since then. Does not check liveness.
    function elapsed(address collection, Auction calldata auction) external view returns (uint256);

    /// @notice The price `buy` would charge now, rounded up. Reverts like `buy` when `auction` is not live.
    function currentPrice(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) external view returns (uint256);
}
