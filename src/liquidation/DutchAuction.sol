// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "../admin/Governed.sol";
import {IDutchAuction} from "../interfaces/IDutchAuction.sol";
import {ILendingPool} from "../interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {AuctionLib} from "./AuctionLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title DutchAuction
/// @notice Dutch-auction liquidation module of one LendingPool: runs the clock and the price, routes buyers' payments
/// straight into the pool, and lets anyone close an auction that ended without a buyer.
/// @dev Upgradeable (UUPS through `Governed`, timelock only). The pool and its asset are immutables of the
/// implementation: a module serves exactly one pool, and a new pool needs a new implementation anyway. All mutable
/// state is one ERC-7201 namespaced mapping of auction commitments.
/// Stale commitments (the loan was repaid during its auction) are left in place: loan ids are never reused and a
/// repaid loan's pool commitment is zero forever, so `buy` and `settle` revert `AuctionNotLive` for them, and a
/// reverting call cannot delete anything anyway. They cost nothing to keep.
contract DutchAuction is IDutchAuction, Governed, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @custom:storage-location erc7201:nftlend.storage.DutchAuction
    struct DutchAuctionStorage {
        mapping(uint256 loanId => bytes32 auctionHash) auctions;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.DutchAuction")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant DUTCH_AUCTION_SLOT = 0x04099d844ca9b33456f8694068f0169f91deae5ed902df6a91a3c3fe2e8f3300;

    /// @inheritdoc IDutchAuction
    uint8 public constant MAX_RELISTS = 3;
    /// @dev Each relist's reserve price, as a share of the previous round's reserve (its start price).
    uint256 internal constant RELIST_RESERVE_BPS = 5000;

    ILendingPool internal immutable POOL;
    address internal immutable ASSET;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTION
    //////////////////////////////////////////////////////////////*/

    /// @param pool_ The pool (proxy) this module liquidates for; its asset is read once here.
    constructor(ILendingPool pool_) {
        POOL = pool_;
        ASSET = pool_.asset();
    }

    /// @notice Initialises the proxy. `pool_` must be the implementation's pool (a deployment script cross-check).
    function initialize(address pool_, address timelock_, address guardian_) external initializer {
        if (pool_ != address(POOL)) revert WrongPool(pool_, address(POOL));
        __Governed_init(timelock_, guardian_);
    }

    /*//////////////////////////////////////////////////////////////
                              ENTRY POINTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDutchAuction
    /// @dev The only call before the write is to the trusted pool (which calls only its valuation), and the pool's
    /// answer is what gets written, so checks, the pool's effects and ours run before anything untrusted.
    function start(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan
    ) external nonReentrant returns (Auction memory auction, ILendingPoolTypes.Loan memory updated) {
        DutchAuctionStorage storage $ = _storage();
        if ($.auctions[loanId] != 0) revert AuctionAlreadyStarted(loanId);

        // The pool checks liquidatability and the oracle, freezes the debt and books the impairment.
        ILendingPoolTypes.AuctionTerms memory terms;
        (terms, updated) = POOL.startAuction(loanId, loan, msg.sender);

        (uint64 since, uint64 cumulative) = IValuation(terms.valuation).outage(loan.collection);
        auction = Auction({
            keeper: msg.sender,
            valuation: terms.valuation,
            startPrice: terms.startPrice,
            reservePrice: terms.reservePrice,
            start: updated.auctionStart,
            duration: terms.duration,
            outageBase: AuctionLib.outageBase(updated.auctionStart, since, cumulative),
            round: 0
        });
        $.auctions[loanId] = keccak256(abi.encode(auction));
        emit AuctionStarted(loanId, msg.sender, auction);
    }

    /// @inheritdoc IDutchAuction
    function buy(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction,
        uint256 maxPrice
    ) external nonReentrant returns (uint256 price) {
        DutchAuctionStorage storage $ = _storage();
        _checkCommitted($, loanId, loan, auction);
        price = AuctionLib.price(
            auction.startPrice, auction.reservePrice, auction.duration, _elapsed(loan.collection, auction)
        );
        if (price > maxPrice) revert PriceAboveBuyerLimit(price, maxPrice);

        delete $.auctions[loanId];
        emit AuctionBought(loanId, msg.sender, price);

        // One token transfer: the buyer's payment goes straight to the pool, which checks its receipt.
        ASSET.safeTransferFrom(msg.sender, address(POOL), price);
        POOL.settleAuction(loanId, loan, msg.sender, price, auction.keeper);
    }

    /// @inheritdoc IDutchAuction
    /// @dev The pool is trusted and calls nothing untrusted before its effects; the NFT leaves (to custody) only at the
    /// final close, after this module deleted its commitment.
    function settle(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) external nonReentrant returns (uint256 badDebt, Auction memory next, ILendingPoolTypes.Loan memory updated) {
        DutchAuctionStorage storage $ = _storage();
        _checkCommitted($, loanId, loan, auction);
        uint256 elapsed_ = _elapsed(loan.collection, auction);
        if (elapsed_ < auction.duration) revert AuctionNotEnded(loanId, elapsed_, auction.duration);

        if (auction.round >= MAX_RELISTS) {
            delete $.auctions[loanId];
            (badDebt,) = POOL.settleUnsold(loanId, loan, msg.sender, true);
            emit AuctionClosed(loanId, msg.sender, badDebt);
            return (badDebt, next, updated);
        }
        (, updated) = POOL.settleUnsold(loanId, loan, msg.sender, false);
        (uint64 since, uint64 cumulative) = IValuation(auction.valuation).outage(loan.collection);
        uint256 reserve = auction.reservePrice * RELIST_RESERVE_BPS / 10_000;
        next = Auction({
            keeper: auction.keeper,
            valuation: auction.valuation,
            startPrice: auction.reservePrice,
            reservePrice: reserve == 0 ? 1 : reserve,
            start: uint40(block.timestamp),
            duration: auction.duration,
            outageBase: AuctionLib.outageBase(uint40(block.timestamp), since, cumulative),
            round: auction.round + 1
        });
        $.auctions[loanId] = keccak256(abi.encode(next));
        emit AuctionRelisted(loanId, msg.sender, next);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDutchAuction
    function pool() external view returns (address) {
        return address(POOL);
    }

    /// @inheritdoc IDutchAuction
    function asset() external view returns (address) {
        return ASSET;
    }

    /// @inheritdoc IDutchAuction
    function auctionHash(uint256 loanId) external view returns (bytes32) {
        return _storage().auctions[loanId];
    }

    /// @inheritdoc IDutchAuction
    /// @dev A loan leaves its auction only by `buy`, `settle` (both delete the commitment) or a full repayment (which
    /// zeroes the pool's commitment for good), so these two reads decide it.
    function isLive(uint256 loanId) external view returns (bool) {
        return _storage().auctions[loanId] != 0 && POOL.loanHash(loanId) != 0;
    }

    /// @inheritdoc IDutchAuction
    function elapsed(address collection, Auction calldata auction) external view returns (uint256) {
        return _elapsed(collection, auction);
    }

    /// @inheritdoc IDutchAuction
    function currentPrice(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) external view returns (uint256) {
        _checkLive(_storage(), loanId, loan, auction);
        return AuctionLib.price(
            auction.startPrice, auction.reservePrice, auction.duration, _elapsed(loan.collection, auction)
        );
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless `auction` is the commitment of `loanId` and `loan` is a loan in this very auction (its
    /// auction start is the auction's). `buy` and `settle` stop here: the pool's `settleAuction`, in the same
    /// transaction, checks `loan` against its own commitment (`UnknownLoan` once it was repaid, bought or settled), so
    /// asking the pool for it first would only pay for the same check twice.
    function _checkCommitted(
        DutchAuctionStorage storage $,
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) internal view {
        bytes32 committed = $.auctions[loanId];
        if (committed == 0) revert AuctionNotLive(loanId);
        bytes32 given = keccak256(abi.encode(auction));
        if (given != committed) revert AuctionMismatch(loanId, committed, given);
        // The loan's auction start is the first round's; a relist starts later rounds after it.
        if (loan.auctionStart == 0 || loan.auctionStart > auction.start) revert AuctionNotLive(loanId);
    }

    /// @dev `_checkCommitted`, plus the pool's commitment of `loan` (for views, which have no settlement after them).
    function _checkLive(
        DutchAuctionStorage storage $,
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        Auction calldata auction
    ) internal view {
        _checkCommitted($, loanId, loan, auction);
        if (POOL.loanHash(loanId) != keccak256(abi.encode(loan))) revert AuctionNotLive(loanId);
    }

    function _elapsed(address collection, Auction calldata auction) internal view returns (uint256) {
        (uint64 since, uint64 cumulative) = IValuation(auction.valuation).outage(collection);
        return AuctionLib.effectiveElapsed(auction.start, block.timestamp, since, cumulative, auction.outageBase);
    }

    /// @dev Transient storage only: the chain must support EIP-1153 (foundry.toml pins cancun).
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }

    function _storage() internal pure returns (DutchAuctionStorage storage $) {
        assembly ("memory-safe") {
            $.slot := DUTCH_AUCTION_SLOT
        }
    }
}
