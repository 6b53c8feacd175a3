// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolExtension} from "../interfaces/ILendingPoolExtension.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {KinkRate} from "../libraries/KinkRate.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {LendingPoolAdmin} from "./LendingPoolAdmin.sol";
import {INft, PoolBase} from "./PoolBase.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title LendingPoolExtension
/// @notice The second part of the pool's implementation, serving `ILendingPoolExtension`: ERC-4626 conversions and
/// limits, read-only views, claims, renewal, repayment in auction and settlement without a bid; administration runs
/// one step further, in `ADMIN`. It only ever runs by
/// `delegatecall` from `LendingPool`'s fallback, on the proxy's storage; called directly it sees empty storage (no
/// timelock, nothing to claim) and can do nothing.
contract LendingPoolExtension is PoolBase, ILendingPoolExtension {
    using PoolMath for uint256;
    using SafeCastLib for uint256;
    using SafeTransferLib for address;

    /// @notice The pool's administration module, deployed here for the same asset and valuation: every selector this
    /// extension does not serve runs there, on the same storage.
    address public immutable ADMIN;

    /// @notice How this implementation commits a loan: 2 since issue 15 (15 words: the premium per unit in the asset
    /// and its multiple of the price at origination, the outage base), with the exposure counters. Absent before (format 1, 13 words, no counters). An upgrade
    /// across formats needs an empty book (script/Upgrade.s.sol `checkLoanFormat`).
    uint256 public constant LOAN_FORMAT = 2;

    constructor(address asset_, address valuation_) PoolBase(asset_, valuation_) {
        ADMIN = address(new LendingPoolAdmin(asset_, valuation_));
    }

    /// @dev Every selector the extension does not serve runs in the administration module, on the proxy's storage.
    fallback() external {
        address admin = ADMIN;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), admin, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /*//////////////////////////////////////////////////////////////
                          ERC-4626 CONVERSIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPoolExtension
    /// @dev Served here too so the extension can be checked against its core.
    function asset() external view returns (address) {
        return ASSET;
    }

    /// @inheritdoc ILendingPoolExtension
    function totalAssets() external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return _totalAssets(m, r);
    }

    /// @inheritdoc ILendingPoolExtension
    function debtOf(Loan calldata loan) external view returns (uint256) {
        if (loan.auctionStart != 0) return loan.frozenDebt;
        (,, uint256 index) = _accruedView();
        return loan.scaledDebt.toDebtUp(index);
    }

    /// @inheritdoc ILendingPoolExtension
    function healthFactor(Loan calldata loan) external view returns (uint256) {
        (uint256 unitPrice, IValuation.Status status) = VALUATION.priceView(loan.collection);
        if (status != IValuation.Status.Ok) revert IValuation.ValuationUnavailable(loan.collection, status);
        (,, uint256 index) = _accruedView();
        uint256 debt = loan.auctionStart != 0 ? loan.frozenDebt : loan.scaledDebt.toDebtUp(index);
        return _healthFactor(_toMemory(loan), _loadTerms(loan.collection, loan.termsId), debt, unitPrice);
    }

    /// @inheritdoc ILendingPoolExtension
    function convertToShares(uint256 assets) external view returns (uint256) {
        return assets.toSharesDown(_currentTotalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    function convertToAssets(uint256 shares) public view returns (uint256) {
        return shares.toAssetsDown(_currentTotalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    /// @dev What idle cash (112 bits) can still take; `deposit` of it mints at least one share
    /// unless the pool's assets are gone, when the limit is 0.
    function maxDeposit(address) public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 room = type(uint112).max - m.cash;
        return room.toSharesDown(_entryAssets(m, r), totalSupply()) == 0 ? 0 : room;
    }

    /// @inheritdoc ILendingPoolExtension
    /// @dev The shares `maxDeposit` buys, rounded down, so their price (rounded up) fits in it.
    function maxMint(address) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 room = type(uint112).max - m.cash;
        return room.toSharesDown(_entryAssets(m, r), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    function maxWithdraw(address owner) public view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 owned = balanceOf(owner).toAssetsDown(_totalAssets(m, r), totalSupply());
        return owned < m.cash ? owned : m.cash;
    }

    /// @inheritdoc ILendingPoolExtension
    function maxRedeem(address owner) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        uint256 assetsTotal = _totalAssets(m, r);
        uint256 supply = totalSupply();
        uint256 shares = balanceOf(owner);
        // Shares whose redemption the idle cash covers, rounded down so redeem(maxRedeem) never exceeds cash.
        uint256 cashShares = uint256(m.cash).toSharesDown(assetsTotal, supply);
        uint256 redeemable = shares < cashShares ? shares : cashShares;
        // `redeem` refuses shares worth nothing (ZeroAmount): never promise them.
        return redeemable.toAssetsDown(assetsTotal, supply) == 0 ? 0 : redeemable;
    }

    /// @inheritdoc ILendingPoolExtension
    function previewDeposit(uint256 assets) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return assets.toSharesDown(_entryAssets(m, r), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    function previewMint(uint256 shares) external view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return shares.toAssetsUp(_entryAssets(m, r), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    function previewWithdraw(uint256 assets) external view returns (uint256) {
        return assets.toSharesUp(_currentTotalAssets(), totalSupply());
    }

    /// @inheritdoc ILendingPoolExtension
    function previewRedeem(uint256 shares) external view returns (uint256) {
        return shares.toAssetsDown(_currentTotalAssets(), totalSupply());
    }

    /*//////////////////////////////////////////////////////////////
                                 CLAIMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPoolExtension
    function claim(address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        amount = $.claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        uint256 owed = $.rewardsOwed;
        if (owed != 0) _fundRewards($, owed, amount);
        delete $.claimable[msg.sender];
        // The running total only feeds settlement's receipt check; a claim never fails on it (saturating).
        uint256 total = $.totalClaimable;
        // casting to 'uint96' is safe because the result is at most totalClaimable, a uint96.
        // forge-lint: disable-next-line(unsafe-typecast)
        $.totalClaimable = uint96(total > amount ? total - amount : 0);
        emit Claim(msg.sender, to, amount);
        ASSET.safeTransfer(to, amount);
    }

    /// @inheritdoc ILendingPoolExtension
    function claimNft(address collection, uint256 tokenId, address to) external nonReentrant returns (uint256 amount) {
        PoolStorage storage $ = _s();
        bytes32 key = keccak256(abi.encode(msg.sender, collection, tokenId));
        amount = $.nftClaims[key];
        if (amount == 0) revert NothingToClaim(msg.sender);
        delete $.nftClaims[key];
        INft(collection).safeTransferFrom(address(this), to, tokenId, amount, "");
    }

    /// @inheritdoc ILendingPoolExtension
    function valuation() external view returns (address) {
        return address(VALUATION);
    }

    /// @inheritdoc ILendingPoolExtension
    function liquidator() external view returns (address) {
        return _s().liquidator;
    }

    /// @inheritdoc ILendingPoolExtension
    function custody() external view returns (address) {
        return _s().custody;
    }

    /// @inheritdoc ILendingPoolExtension
    function cash() external view returns (uint256) {
        return _s().market.cash;
    }

    /// @inheritdoc ILendingPoolExtension
    function reserve() external view returns (uint256) {
        (Market memory m,,) = _accruedView();
        return m.reserve;
    }

    /// @inheritdoc ILendingPoolExtension
    function totalDebt() external view returns (uint256) {
        (, Rates memory r,) = _accruedView();
        return uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex);
    }

    /// @inheritdoc ILendingPoolExtension
    function auctionDebt() external view returns (uint256) {
        return _s().book.auctionDebt;
    }

    /// @inheritdoc ILendingPoolExtension
    function impairment() external view returns (uint256) {
        return _s().book.impairment;
    }

    /// @inheritdoc ILendingPoolExtension
    function badDebt() external view returns (uint256 total, uint256 absorbedByReserve) {
        return (_s().totalBadDebt, _s().badDebtAbsorbed);
    }

    /// @inheritdoc ILendingPoolExtension
    function borrowIndex() external view returns (uint256) {
        (,, uint256 index) = _accruedView();
        return index;
    }

    /// @inheritdoc ILendingPoolExtension
    function borrowRate() external view returns (uint256 ratePerSecond, uint256 utilization) {
        (Market memory m, Rates memory r,) = _accruedView();
        utilization = KinkRate.utilization(m.cash, uint256(r.totalScaledDebt).toDebtUp(r.borrowIndex));
        ratePerSecond = KinkRate.rate(_kink(_loadRateConfig()), utilization);
    }

    /// @inheritdoc ILendingPoolExtension
    function rateConfig() external view returns (RateConfig memory) {
        return _loadRateConfig();
    }

    /// @inheritdoc ILendingPoolExtension
    function terms(address collection_, uint32 termsId) external view returns (Terms memory) {
        return _loadTerms(collection_, termsId);
    }

    /// @inheritdoc ILendingPoolExtension
    function collectionState(address collection_)
        external
        view
        returns (uint32 termsId, uint256 debtCeiling, uint256 debt, bool frozen)
    {
        CollectionState memory cs = _s().collections[collection_];
        (,, uint256 index) = _accruedView();
        return (cs.termsId, cs.debtCeiling, uint256(cs.scaledDebt).toDebtUp(index), cs.frozen);
    }

    /// @inheritdoc ILendingPoolExtension
    function borrowerPrincipal(address collection_, address borrower) external view returns (uint256) {
        return _s().borrowerPrincipal[collection_][borrower];
    }

    /// @inheritdoc ILendingPoolExtension
    function claimable(address account) external view returns (uint256) {
        return _s().claimable[account];
    }

    /// @inheritdoc ILendingPoolExtension
    function rewardsOwed() external view returns (uint256) {
        return _s().rewardsOwed;
    }

    /// @inheritdoc ILendingPoolExtension
    function nftClaimable(address owner, address collection_, uint256 tokenId) external view returns (uint256) {
        return _s().nftClaims[keccak256(abi.encode(owner, collection_, tokenId))];
    }

    /// @inheritdoc ILendingPoolExtension
    /// @dev Served here, not by the core: a renewal is once a term, and the core has no room.
    function renew(
        uint256 loanId,
        Loan calldata loanIn
    ) external nonReentrant returns (uint256 interestPaid, Loan memory updated) {
        PoolStorage storage $ = _s();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        // A new term is new credit: the borrower's decision, and closed while the collection is frozen or borrowing
        // is paused (repayment never is). Open until the due date, extended by the oracle's outages since the term
        // began (nothing could be priced, so nothing could be renewed).
        if (msg.sender != loan.borrower) revert NotBorrower(msg.sender, loan.borrower);
        if (loan.auctionStart != 0) revert LoanInAuction(loanId);
        if ($.collections[loan.collection].frozen) revert CollectionFrozen(loan.collection);
        if (_loadRateConfig().borrowPaused) revert BorrowPaused();
        Terms memory t = _loadTerms(loan.collection, loan.termsId);
        updated = _copyLoan(loan);
        {
            uint256 outageTotal = _outageTotal(loan.collection);
            uint256 due = _dueTime(loan, t, outageTotal);
            if (block.timestamp > due) revert LoanExpired(loanId, due);
            updated.outageBase = outageTotal.toUint64();
        }
        (Market memory m, Rates memory r,) = _accrueInMemory(); // both stored below
        uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
        // The premium was proven at borrow against a root that may since be revoked or expired: the new term does not
        // carry it, and the loan must be healthy without it.
        updated.premium = 0;
        updated.premiumMultipleWad = 0;
        {
            uint256 hf = _healthFactor(updated, t, debt, VALUATION.price(loan.collection));
            if (hf < PoolMath.WAD) revert LoanUnhealthy(loanId, hf);
        }

        interestPaid = debt > loan.principal ? debt - loan.principal : 0;
        updated.scaledDebt = loan.principal.toScaledUp(r.borrowIndex);
        updated.dueTime = uint40(block.timestamp + t.duration);
        r.totalScaledDebt = (uint256(r.totalScaledDebt) - loan.scaledDebt + updated.scaledDebt).toUint112();
        _storeRates(r);
        // New credit within the borrower's limits in force now: the unit cap and the per-borrower cap (the borrower's
        // principal is unchanged, and already counted). Not the ceiling: the renewal lowers the collection's exposure
        // (the interest is paid), and the ceiling counts every borrower's accrued interest, so checking it would let
        // others' interest refuse this renewal. A lowered ceiling refuses new borrows.
        {
            CollectionRisk memory rk = $.risk[loan.collection];
            if (rk.maxUnits != 0 && loan.amount > rk.maxUnits) revert ExceedsUnitCap(loan.amount, rk.maxUnits);
            uint256 owed = $.borrowerPrincipal[loan.collection][loan.borrower];
            if (rk.borrowerCap != 0 && owed > rk.borrowerCap) {
                revert ExceedsBorrowerCap(loan.borrower, owed, rk.borrowerCap);
            }
        }
        CollectionState storage cs = $.collections[loan.collection];
        cs.scaledDebt = (uint256(cs.scaledDebt) + updated.scaledDebt - loan.scaledDebt).toUint112();
        m.cash += uint112(interestPaid);
        _storeMarket(m);
        $.loans[loanId] = _hash(updated);
        emit Renew(loanId, interestPaid, updated);

        if (interestPaid != 0) _pullAsset(msg.sender, interestPaid);
    }

    /// @inheritdoc ILendingPoolExtension
    function unlockPeriod() external view returns (uint256) {
        uint256 period = _s().lock.period;
        return period == 0 ? DEFAULT_UNLOCK_PERIOD : period;
    }

    /// @inheritdoc ILendingPoolExtension
    function lockedRecovery() external view returns (uint256 locked, uint256 until) {
        RecoveryLock memory l = _s().lock;
        return (_lockedNow(l), l.until > block.timestamp ? l.until : 0);
    }

    /// @inheritdoc ILendingPoolExtension
    function bookRecovery(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        (Market memory m,) = _accrue();
        m.cash = (uint256(m.cash) + amount).toUint112();
        _lockGain(m, amount);
        _storeMarket(m);
        emit RecoveryBooked(msg.sender, amount);
        _pullAsset(msg.sender, amount);
    }

    /// @inheritdoc ILendingPoolExtension
    /// @dev Reached through `repay` (which forwards a loan in auction here) or directly.
    function repayInAuction(
        uint256 loanId,
        Loan calldata loanIn,
        uint256 amount
    ) external nonReentrant returns (uint256 paid, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (amount == 0) revert ZeroAmount();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        (Market memory m,) = _accrue(); // stored below
        // Only a full repayment, of the frozen debt plus the penalty, which cancels the auction.
        Terms memory t = _loadTerms(loan.collection, loan.termsId);
        uint256 penalty = loan.frozenDebt.mulBpsUp(t.penaltyBps);
        paid = loan.frozenDebt + penalty;
        if (amount < paid) revert InsufficientLiquidity(amount, paid);
        AuctionBook memory book = _loadBook();
        int256 before = _bookedAssets(m, book);
        book.auctionDebt -= uint128(loan.frozenDebt);
        book.impairment -= uint128(loan.impairment);
        m.cash += uint112(paid);
        m.reserve += uint104(penalty);
        _storeBook(m, book);
        // The debt and penalty recovered reach the lenders over the unlock period, not in this block.
        _lockRecovery(m, book, before);
        _storeMarket(m);
        _releaseAuction($, loan);
        delete $.loans[loanId];
        emit LoanRepaid(loanId, msg.sender, paid);

        // Interactions: take the payment, then return the collateral.
        _pullAsset(msg.sender, paid);
        _returnCollateral($, loan);
        return (paid, updated);
    }

    /// @inheritdoc ILendingPoolExtension
    function settleUnsold(
        uint256 loanId,
        Loan calldata loanIn,
        address settler,
        bool close
    ) external nonReentrant returns (uint256 writtenOff, Loan memory updated) {
        PoolStorage storage $ = _s();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        _checkLiquidator($, loan);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        (Market memory m,) = _accrue(); // stored below
        AuctionBook memory book = _loadBook();
        int256 before = _bookedAssets(m, book);

        // The settler's reward, from what the auction's impairment set aside for it: paid from idle cash, and what
        // cash cannot cover (a fully lent pool) is owed, credited all the same and paid in when cash returns (claim).
        uint256 budget = loan.impairment > loan.frozenDebt ? loan.impairment - loan.frozenDebt : 0;
        uint256 reward = uint256(loan.frozenDebt).mulBpsUp(SETTLE_REWARD_BPS);
        if (reward > budget) reward = budget;
        if (reward != 0) {
            uint256 paidNow = reward < m.cash ? reward : m.cash;
            uint256 owed = reward - paidNow;
            m.cash -= uint112(paidNow);
            m.reserve -= uint104(reward < m.reserve ? reward : m.reserve);
            book.impairment -= uint128(reward);
            _credit($, settler, paidNow, address(0), 0);
            if (owed != 0) {
                $.claimable[settler] += owed;
                $.rewardsOwed += owed;
                // The liability replaces the impairment it came from: not a recovery to lock.
                before += int256(owed);
            }
        }
        updated = _copyLoan(loan);
        updated.impairment = loan.impairment - reward;

        if (close) {
            writtenOff = loan.frozenDebt;
            book.auctionDebt -= uint128(writtenOff);
            book.impairment -= uint128(updated.impairment);
            _writeOff($, m, loanId, writtenOff);
            _releaseAuction($, loan);
            delete $.loans[loanId];
        } else {
            $.loans[loanId] = _hash(updated);
        }
        _storeBook(m, book);
        _lockRecovery(m, book, before);
        _storeMarket(m);
        emit SettlerPaid(loanId, settler, reward);
        if (close) {
            emit AuctionSettled(loanId, address(0), 0, 0, 0, writtenOff);
            // Interaction: the unsold NFT to custody, whose later sale `bookRecovery` brings back to the lenders.
            _sendNft(loan, _loadTerms(loan.collection, loan.termsId), $.custody);
        } else {
            emit AuctionRelisted(loanId, settler, updated);
        }
    }

    /// @dev Pays settlers' rewards owed (credited while idle cash was short) out of idle cash, as far as it goes: the
    /// cash and the liability fall together, so lenders' assets do not move. A claim then goes through only if the
    /// balance left for claims (balance minus idle cash) covers it, so an unfunded reward never takes lenders' cash.
    function _fundRewards(PoolStorage storage $, uint256 owed, uint256 amount) internal {
        (Market memory m,) = _accrue(); // stored below
        uint256 paidIn = owed < m.cash ? owed : m.cash;
        if (paidIn != 0) {
            m.cash -= uint112(paidIn);
            $.rewardsOwed = owed - paidIn;
            $.totalClaimable = (uint256($.totalClaimable) + paidIn).toUint96();
        }
        _storeMarket(m);
        if (owed != paidIn) {
            uint256 balance = ASSET.balanceOf(address(this));
            uint256 available = balance > m.cash ? balance - m.cash : 0;
            if (amount > available) revert ClaimNotFunded(amount, available);
        }
    }

    /// @dev Lenders' total assets, as the core computes them.
    function _currentTotalAssets() internal view returns (uint256) {
        (Market memory m, Rates memory r,) = _accruedView();
        return _totalAssets(m, r);
    }
}
