// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "./admin/Governed.sol";
import {ILendingPoolCore} from "./interfaces/ILendingPoolCore.sol";
import {ILendingPoolExtension} from "./interfaces/ILendingPoolExtension.sol";
import {IValuation} from "./interfaces/IValuation.sol";
import {KinkRate} from "./libraries/KinkRate.sol";
import {PoolMath} from "./libraries/PoolMath.sol";
import {INft, PoolBase} from "./pool/PoolBase.sol";
import {ERC20} from "solady/tokens/ERC20.sol";
import {SafeCastLib} from "solady/utils/SafeCastLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

/// @title LendingPool
/// @notice One pool per borrow asset: ERC-4626 lender shares, loans against ERC-721 and ERC-1155 collateral at the
/// kink rate, and honest loss accounting (impairment at auction start, write-off at settlement). The full external
/// interface is ILendingPool: this core serves its hot paths (`ILendingPoolCore`) and forwards every other selector to
/// the immutable `EXTENSION` by `delegatecall` (`ILendingPoolExtension`), which forwards administration one step
/// further to its `LendingPoolAdmin` (`ILendingPoolAdmin`; same storage, same implementation version: an upgrade
/// replaces all three).
/// @dev Storage: one ERC-7201 struct (PoolBase). Hot state is packed into three slots (market, rates, rate config) so
/// a borrow or a repay touches each once. Loans are hash commitments (see ILendingPool).
contract LendingPool is PoolBase, Governed, ILendingPoolCore {
    using PoolMath for uint256;
    using SafeCastLib for uint256;
    using SafeTransferLib for address;

    /// @notice The second half of the implementation (conversions, views, claims, renewal; administration behind it).
    address public immutable EXTENSION;

    /// @param asset_ The borrow asset (a plain ERC-20).
    /// @param valuation_ The valuation every loan of this pool is priced by.
    /// @param extension_ A `LendingPoolExtension` built for the same asset and valuation.
    constructor(address asset_, address valuation_, address extension_) PoolBase(asset_, valuation_) {
        if (extension_ == address(0)) revert ZeroAddress();
        if (
            ILendingPoolExtension(extension_).asset() != asset_
                || ILendingPoolExtension(extension_).valuation() != valuation_
        ) {
            revert ExtensionMismatch(extension_);
        }
        EXTENSION = extension_;
    }

    /// @inheritdoc ILendingPoolCore
    /// @dev `config` must satisfy the rate bounds.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address timelock_,
        address guardian_,
        address custody_,
        RateConfig calldata config
    ) external initializer {
        if (custody_ == address(0)) revert ZeroAddress();
        __Governed_init(timelock_, guardian_);
        PoolStorage storage $ = _s();
        $.name = name_;
        $.symbol = symbol_;
        $.custody = custody_;
        $.rates = Rates({totalScaledDebt: 0, borrowIndex: uint104(PoolMath.WAD), lastUpdate: uint40(block.timestamp)});
        $.market.nextLoanId = 1;
        _setRateConfig(config);
    }

    /// @dev Every selector the core does not serve runs in the extension, on this contract's storage.
    fallback() external {
        address extension = EXTENSION;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /*//////////////////////////////////////////////////////////////
                         SHARE TOKEN (ERC-20)
    //////////////////////////////////////////////////////////////*/

    // The share token is PoolBase's (solady's ERC20, which every part inherits). Solidity requires a contract that
    // inherits one function from two bases (here the token and `ILendingPoolCore`) to override it: these overrides only
    // say that the token's functions are the ones `ILendingPoolCore` declares. Each of the six solady ones costs a
    // jump (63 bytes; name, symbol and decimals repeat PoolBase's one-line bodies and cost none), so the ERC-4626
    // entries and exits read the supply as `ERC20.totalSupply()`, straight from the token (through the override it
    // would cost them 49 gas more).

    /// @inheritdoc ILendingPoolCore
    function name() public view override(PoolBase, ILendingPoolCore) returns (string memory) {
        return _s().name;
    }

    /// @inheritdoc ILendingPoolCore
    function symbol() public view override(PoolBase, ILendingPoolCore) returns (string memory) {
        return _s().symbol;
    }

    /// @inheritdoc ILendingPoolCore
    function decimals() public view override(PoolBase, ILendingPoolCore) returns (uint8) {
        return SHARE_DECIMALS;
    }

    /// @inheritdoc ILendingPoolCore
    function totalSupply() public view override(ERC20, ILendingPoolCore) returns (uint256 result) {
        return super.totalSupply();
    }

    /// @inheritdoc ILendingPoolCore
    function balanceOf(address owner) public view override(ERC20, ILendingPoolCore) returns (uint256 result) {
        return super.balanceOf(owner);
    }

    /// @inheritdoc ILendingPoolCore
    function allowance(
        address owner,
        address spender
    ) public view override(ERC20, ILendingPoolCore) returns (uint256 result) {
        return super.allowance(owner, spender);
    }

    /// @inheritdoc ILendingPoolCore
    function approve(address spender, uint256 amount) public override(ERC20, ILendingPoolCore) returns (bool) {
        return super.approve(spender, amount);
    }

    /// @inheritdoc ILendingPoolCore
    function transfer(address to, uint256 amount) public override(ERC20, ILendingPoolCore) returns (bool) {
        return super.transfer(to, amount);
    }

    /// @inheritdoc ILendingPoolCore
    function transferFrom(
        address from,
        address to,
        uint256 amount
    ) public override(ERC20, ILendingPoolCore) returns (bool) {
        return super.transferFrom(from, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                              ERC-4626 LP SIDE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPoolCore
    function deposit(uint256 assets, address receiver) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Rates memory r) = _accrue();
        // At the entry price (the running auctions' recovery and the locked recovery added back), shares minted round
        // down: the depositor never gets more than it paid for, nor a share of a recovery it did not pay for.
        shares = assets.toSharesDown(_entryAssets(m, r), ERC20.totalSupply());
        if (shares == 0) revert ZeroShares();
        _deposit(m, assets, shares, receiver);
    }

    /// @inheritdoc ILendingPoolCore
    function mint(uint256 shares, address receiver) external nonReentrant returns (uint256 assets) {
        if (shares == 0) revert ZeroShares();
        (Market memory m, Rates memory r) = _accrue();
        // At the entry price, assets charged round up.
        assets = shares.toAssetsUp(_entryAssets(m, r), ERC20.totalSupply());
        _deposit(m, assets, shares, receiver);
    }

    /// @inheritdoc ILendingPoolCore
    function withdraw(uint256 assets, address receiver, address owner) external nonReentrant returns (uint256 shares) {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Rates memory r) = _accrue();
        // Shares burned round up.
        shares = assets.toSharesUp(_totalAssets(m, r), ERC20.totalSupply());
        _withdraw(m, assets, shares, receiver, owner);
    }

    /// @inheritdoc ILendingPoolCore
    function redeem(uint256 shares, address receiver, address owner) external nonReentrant returns (uint256 assets) {
        if (shares == 0) revert ZeroShares();
        (Market memory m, Rates memory r) = _accrue();
        // Assets paid round down.
        assets = shares.toAssetsDown(_totalAssets(m, r), ERC20.totalSupply());
        if (assets == 0) revert ZeroAmount();
        _withdraw(m, assets, shares, receiver, owner);
    }

    /*//////////////////////////////////////////////////////////////
                                 LOANS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPoolCore
    function borrow(
        address collection,
        uint256 tokenId,
        uint256 amount,
        uint256 principal,
        address owner,
        uint256 premium,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 loanId, Loan memory loan) {
        loan.borrower = owner;
        loan.collection = collection;
        loan.tokenId = tokenId;
        loan.amount = amount;
        loan.principal = principal;
        loanId = _borrow(loan, premium, proof);
    }

    /// @dev The body of `borrow`, over the loan being built in memory (keeps the stack shallow).
    function _borrow(Loan memory loan, uint256 premium, bytes32[] calldata proof) internal returns (uint256 loanId) {
        PoolStorage storage $ = _s();
        (Market memory m, Rates memory r,) = _accrueInMemory(); // both stored below

        // Checks (the valuation is a trusted read).
        Terms memory t = _checkBorrow($, loan, m.cash);
        uint256 unitPrice = VALUATION.price(loan.collection);
        // The premium is per unit, in the asset, as the valuation caps it now, with its multiple of the price now: the
        // loan is valued with min(premium, multiple x price) from then on.
        if (proof.length != 0) _premium(loan, premium, proof, unitPrice);
        _checkLtv(loan, t, unitPrice);
        // Scaled debt rounds up: the loan owes at least its principal.
        loan.scaledDebt = loan.principal.toScaledUp(r.borrowIndex);
        loan.termsId = _addCollectionDebt($, loan, r.borrowIndex);

        // Effects.
        loanId = m.nextLoanId;
        loan.startTime = uint40(block.timestamp);
        loan.dueTime = uint40(block.timestamp + t.duration);
        loan.outageBase = _outageTotal(loan.collection).toUint64();
        $.loans[loanId] = _hash(loan);
        m.nextLoanId = (loanId + 1).toUint32();
        m.cash -= uint112(loan.principal);
        _storeMarket(m);
        r.totalScaledDebt = (uint256(r.totalScaledDebt) + loan.scaledDebt).toUint112();
        _storeRates(r);
        emit Borrow(loanId, loan.borrower, msg.sender, loan);

        // Interactions: pull the collateral, then pay out.
        if (t.standard == ERC721_STANDARD) {
            INft(loan.collection).transferFrom(loan.borrower, address(this), loan.tokenId);
        } else {
            INft(loan.collection).safeTransferFrom(loan.borrower, address(this), loan.tokenId, loan.amount, "");
        }
        ASSET.safeTransfer(msg.sender, loan.principal);
    }

    /// @inheritdoc ILendingPoolCore
    /// @dev A loan in auction is repaid by the extension's `repayInAuction` (a cold path, on the
    /// same storage, guarded there): its calldata has the same layout, so only the selector changes. The commitment
    /// is checked there; the `auctionStart` read here only routes.
    function repay(
        uint256 loanId,
        Loan calldata loanIn,
        uint256 amount
    ) external returns (uint256 paid, Loan memory updated) {
        if (loanIn.auctionStart != 0) _forwardToExtension(ILendingPoolExtension.repayInAuction.selector);
        return _repay(loanId, loanIn, amount);
    }

    /// @dev Delegates this call to the extension under `selector` (same arguments) and returns or reverts with its
    /// answer; never returns here.
    function _forwardToExtension(bytes4 selector) internal {
        address extension = EXTENSION;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            mstore(0, or(and(mload(0), shr(32, not(0))), selector))
            let ok := delegatecall(gas(), extension, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @dev `repay` of a live loan.
    function _repay(
        uint256 loanId,
        Loan calldata loanIn,
        uint256 amount
    ) internal nonReentrant returns (uint256 paid, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (amount == 0) revert ZeroAmount();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        (Market memory m, Rates memory r,) = _accrueInMemory(); // both stored below
        bool closed;

        {
            uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
            paid = amount < debt ? amount : debt;
            uint256 scaledRepaid;
            if (paid == debt) {
                scaledRepaid = loan.scaledDebt;
                closed = true;
            } else {
                // Partial: the scaled debt removed rounds down, so the borrower never pays less than it owes.
                scaledRepaid = paid.toScaledDown(r.borrowIndex);
                uint256 remaining = debt - paid;
                uint256 minLoan = $.rateConfig.minLoan;
                if (remaining < minLoan) revert LoanTooSmall(remaining, minLoan);
                updated = _copyLoan(loan);
                updated.scaledDebt = loan.scaledDebt - scaledRepaid;
                // Interest is paid before principal.
                uint256 interest = debt > loan.principal ? debt - loan.principal : 0;
                updated.principal = paid > interest ? loan.principal - (paid - interest) : loan.principal;
            }
            r.totalScaledDebt -= uint112(scaledRepaid);
            _removeCollectionDebt($, loan.collection, scaledRepaid);
            // The borrower's outstanding principal falls by the principal repaid (all of it on a full repayment).
            uint256 principalRepaid = closed ? loan.principal : loan.principal - updated.principal;
            if (principalRepaid != 0) _releasePrincipal($, loan.collection, loan.borrower, principalRepaid);
            m.cash += uint112(paid);
        }
        _storeRates(r);
        _storeMarket(m);
        if (closed) {
            delete $.loans[loanId];
            emit LoanRepaid(loanId, msg.sender, paid);
        } else {
            $.loans[loanId] = _hash(updated);
            emit Repay(loanId, msg.sender, paid, updated);
        }

        // Interactions: take the payment, then return the collateral.
        _pullAsset(msg.sender, paid);
        if (closed) _returnCollateral($, loan);
    }

    /// @inheritdoc ILendingPoolCore
    /// @dev Served by the core (one slot read), which answers first.
    function collectionExposure(address collection_)
        external
        view
        returns (uint256 auctionDebt, uint256 borrowerCap, uint256 maxUnits)
    {
        CollectionRisk memory rk = _s().risk[collection_];
        return (rk.auctionDebt, rk.borrowerCap, rk.maxUnits);
    }

    /// @inheritdoc ILendingPoolCore
    function loanHash(uint256 loanId) external view returns (bytes32) {
        return _s().loans[loanId];
    }

    /*//////////////////////////////////////////////////////////////
                           LIQUIDATION MODULE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILendingPoolCore
    function startAuction(
        uint256 loanId,
        Loan calldata loanIn,
        address keeper
    ) external nonReentrant returns (AuctionTerms memory at, Loan memory updated) {
        PoolStorage storage $ = _s();
        if (msg.sender != $.liquidator) revert NotLiquidator(msg.sender);
        Loan memory loan = _checkLoan($, loanId, loanIn);
        if (loan.auctionStart != 0) revert LoanInAuction(loanId);
        (Market memory m, Rates memory r,) = _accrueInMemory(); // both stored below
        Terms memory t = _loadTerms(loan.collection, loan.termsId);
        uint256 debt = loan.scaledDebt.toDebtUp(r.borrowIndex);
        at = _auctionTerms(loanId, loan, t, debt);

        updated = _copyLoan(loan);
        updated.frozenDebt = debt;
        updated.auctionStart = uint40(block.timestamp);
        updated.scaledDebt = 0;
        // The outcome without a bid, booked now so no lender exits ahead of it: the whole frozen debt plus the rewards
        // of the settlements it may take. Every recovery is released later, over the unlock period.
        uint256 impairment_ = debt + MAX_SETTLEMENTS * debt.mulBpsUp(SETTLE_REWARD_BPS);
        updated.impairment = impairment_;

        r.totalScaledDebt -= uint112(loan.scaledDebt);
        _storeRates(r);
        _removeCollectionDebt($, loan.collection, loan.scaledDebt);
        _addAuctionDebt($, loan.collection, debt);
        AuctionBook memory book = _loadBook();
        book.auctionDebt += debt.toUint128();
        book.impairment += impairment_.toUint128();
        _storeBook(m, book);
        _storeMarket(m);
        $.loans[loanId] = _hash(updated);
        emit AuctionStarted(loanId, keeper, impairment_, updated);
    }

    /// @inheritdoc ILendingPoolCore
    function settleAuction(
        uint256 loanId,
        Loan calldata loanIn,
        address buyer,
        uint256 proceeds,
        address keeper
    ) external nonReentrant returns (uint256 shortfall) {
        PoolStorage storage $ = _s();
        Loan memory loan = _checkLoan($, loanId, loanIn);
        _checkLiquidator($, loan);
        if (loan.auctionStart == 0) revert LoanNotInAuction(loanId);
        (Market memory m,) = _accrue(); // `_settle` stores the market
        Terms memory t = _loadTerms(loan.collection, loan.termsId);
        shortfall = _settle($, m, loanId, loan, t, buyer, proceeds, keeper);
        if (proceeds != 0) _checkProceeds($, proceeds);

        // Interaction: the NFT to the buyer (the caller of the auction, so it cannot freeze anyone else), or to the
        // custody address when nobody bid.
        _sendNft(loan, t, buyer == address(0) ? $.custody : buyer);
    }

    /// @notice Accepts ERC-1155 units only when the pool itself pulls them (borrow); unsolicited transfers revert.
    function onERC1155Received(
        address operator,
        address,
        uint256,
        uint256,
        bytes calldata
    ) external view returns (bytes4) {
        if (operator != address(this)) revert UnsolicitedTransfer(operator);
        return this.onERC1155Received.selector;
    }

    /// @notice Batch transfers are never solicited by the pool.
    function onERC1155BatchReceived(
        address operator,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external pure returns (bytes4) {
        revert UnsolicitedTransfer(operator);
    }

    /// @notice ERC-165: the pool is an ERC-1155 receiver.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0x4e2312e0;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _deposit(Market memory m, uint256 assets, uint256 shares, address receiver) internal {
        m.cash = (uint256(m.cash) + assets).toUint112();
        _storeMarket(m);
        _mint(receiver, shares);
        emit Deposit(msg.sender, receiver, assets, shares);
        _pullAsset(msg.sender, assets);
    }

    function _withdraw(Market memory m, uint256 assets, uint256 shares, address receiver, address owner) internal {
        if (assets > m.cash) revert InsufficientLiquidity(assets, m.cash);
        if (msg.sender != owner) _spendAllowance(owner, msg.sender, shares);
        m.cash -= uint112(assets);
        _storeMarket(m);
        _burn(owner, shares);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
        ASSET.safeTransfer(receiver, assets);
    }

    function _checkApproval(address collection_, uint256 tokenId, address owner, uint8 standard) internal view {
        if (INft(collection_).isApprovedForAll(owner, msg.sender)) return;
        if (standard == ERC721_STANDARD && INft(collection_).getApproved(tokenId) == msg.sender) return;
        revert NotApproved(owner, msg.sender);
    }

    /// @dev Settlement effects: the auction leaves the book, the waterfall books the sale, and what that recovered
    /// above the booked loss is locked (it reaches the share price over the unlock period). Then the receipt check:
    /// the module only reports `proceeds`, so the pool's balance must cover everything it now owes.
    function _settle(
        PoolStorage storage $,
        Market memory m,
        uint256 loanId,
        Loan memory loan,
        Terms memory t,
        address buyer,
        uint256 proceeds,
        address keeper
    ) internal returns (uint256 shortfall) {
        AuctionBook memory book = _loadBook();
        int256 before = _bookedAssets(m, book);
        book.auctionDebt -= uint128(loan.frozenDebt);
        book.impairment -= uint128(loan.impairment);
        shortfall = _waterfall($, m, loanId, loan, t, buyer, proceeds, keeper);
        _storeBook(m, book);
        _lockRecovery(m, book, before);
        _storeMarket(m);
        _releaseAuction($, loan);
        delete $.loans[loanId];
    }

    /// @dev The waterfall: the frozen debt, then the penalty (reserve and keeper), then the borrower's surplus; any
    /// shortfall is written off, the reserve absorbing first. The caller stores `m`.
    function _waterfall(
        PoolStorage storage $,
        Market memory m,
        uint256 loanId,
        Loan memory loan,
        Terms memory t,
        address buyer,
        uint256 proceeds,
        address keeper
    ) internal returns (uint256 shortfall) {
        uint256 debt = loan.frozenDebt;
        uint256 repaid = proceeds < debt ? proceeds : debt;
        uint256 penalty = debt.mulBpsUp(t.penaltyBps);
        if (penalty > proceeds - repaid) penalty = proceeds - repaid;
        uint256 surplus = proceeds - repaid - penalty;
        uint256 keeperCut = penalty.mulBpsDown(t.keeperShareBps);
        shortfall = debt - repaid;
        m.cash += uint112(repaid + penalty - keeperCut);
        m.reserve += uint104(penalty - keeperCut);
        _credit($, keeper, keeperCut, loan.borrower, surplus);
        if (shortfall != 0) _writeOff($, m, loanId, shortfall);
        emit AuctionSettled(loanId, buyer, proceeds, repaid, surplus, shortfall);
    }

    /// @dev The receipt check of a sale. Settlement grew cash plus claims by exactly `proceeds`, and before it the
    /// balance covered them (every inflow is checked, every outflow takes from one of them; donations only add), so
    /// a balance short of them now means the module reported proceeds it never paid in.
    function _checkProceeds(PoolStorage storage $, uint256 proceeds) internal view {
        uint256 owed = uint256($.market.cash) + $.totalClaimable;
        uint256 balance = ASSET.balanceOf(address(this));
        if (balance < owed) revert ProceedsNotReceived(proceeds, balance, owed);
    }

    /// @dev Checks that `loan` is liquidatable and derives its auction terms from the current price and the loan's
    /// own terms. Reverts during an oracle outage: no liquidation starts on a price nobody can trust.
    function _auctionTerms(
        uint256 loanId,
        Loan memory loan,
        Terms memory t,
        uint256 debt
    ) internal returns (AuctionTerms memory at) {
        uint256 unitPrice = VALUATION.price(loan.collection);
        uint256 hf = _healthFactor(loan, t, debt, unitPrice);
        if (hf >= PoolMath.WAD) {
            // Late: past the due date (extended by the oracle's outages since the term began) and the grace period.
            uint256 liquidatableAt = _dueTime(loan, t, _outageTotal(loan.collection)) + t.grace;
            if (block.timestamp <= liquidatableAt) revert LoanNotLiquidatable(loanId, hf, liquidatableAt);
        }
        at.debt = debt;
        at.collateralValue = _collateralValue(unitPrice, loan.amount, loan.premium, loan.premiumMultipleWad);
        // Both prices round up, in the pool's favour; the reserve is never zero.
        at.reservePrice = at.collateralValue.mulBpsUp(t.auctionReserveBps);
        if (at.reservePrice == 0) at.reservePrice = 1;
        // The start covers an unflagged drop of the valuation's current deviation, whatever the terms say: the
        // deviation can be raised after the terms were set (`setTerms` checks it against the deviation then).
        uint256 startBps = PoolMath.minAuctionStartBps(VALUATION.deviationBps(loan.collection));
        if (startBps < t.auctionStartBps) startBps = t.auctionStartBps;
        at.startPrice = at.collateralValue.mulBpsUp(startBps);
        if (at.startPrice < at.reservePrice) at.startPrice = at.reservePrice;
        at.duration = t.auctionDuration;
        at.valuation = address(VALUATION);
    }

    /// @dev Every borrow check that needs no price: listing, freeze, pause, size, liquidity, standard, approval.
    function _checkBorrow(
        PoolStorage storage $,
        Loan memory loan,
        uint256 idle
    ) internal view returns (Terms memory t) {
        if (loan.principal == 0) revert ZeroAmount();
        CollectionState memory cs = $.collections[loan.collection];
        if (cs.termsId == 0) revert TermsNotSet(loan.collection);
        if (cs.frozen) revert CollectionFrozen(loan.collection);
        RateConfig memory rc = _loadRateConfig();
        if (rc.borrowPaused) revert BorrowPaused();
        if (loan.principal < rc.minLoan) revert LoanTooSmall(loan.principal, rc.minLoan);
        if (loan.principal > idle) revert InsufficientLiquidity(loan.principal, idle);
        t = $.terms[loan.collection][cs.termsId];
        if (t.standard == ERC721_STANDARD ? loan.amount != 1 : loan.amount == 0) revert InvalidAmount(loan.amount);
        if (loan.borrower != msg.sender) _checkApproval(loan.collection, loan.tokenId, loan.borrower, t.standard);
    }

    /// @dev principal <= price x amount x (1 + premium) x haircut x LTV, all rounded down (against the borrower).
    function _checkLtv(Loan memory loan, Terms memory t, uint256 unitPrice) internal pure {
        uint256 value = _collateralValue(unitPrice, loan.amount, loan.premium, loan.premiumMultipleWad);
        uint256 maxBorrow = value.mulBpsDown(t.haircutBps).mulBpsDown(t.ltvBps);
        if (loan.principal > maxBorrow) revert ExceedsLtv(loan.principal, maxBorrow);
    }

    /// @dev Records the verified trait premium (per unit, in the asset) and its multiple of the unit price, rounded
    /// down (against the borrower) and at most MAX_PREMIUM_MULTIPLE_WAD.
    function _premium(Loan memory loan, uint256 premium, bytes32[] calldata proof, uint256 unitPrice) internal view {
        uint256 capped = VALUATION.traitPremium(loan.collection, loan.tokenId, premium, proof, unitPrice);
        uint256 multiple = capped.mulDivDown(PoolMath.WAD, unitPrice);
        loan.premium = capped;
        loan.premiumMultipleWad = multiple < MAX_PREMIUM_MULTIPLE_WAD ? multiple : MAX_PREMIUM_MULTIPLE_WAD;
    }

    /// @dev The frozen debt stays in the collection's exposure until the auction settles: no room is freed under the
    /// ceiling while the collection is being liquidated.
    function _addAuctionDebt(PoolStorage storage $, address collection_, uint256 debt) internal {
        CollectionRisk storage rk = $.risk[collection_];
        rk.auctionDebt = (uint256(rk.auctionDebt) + debt).toUint128();
    }

    /// @dev Adds a new loan's scaled debt to its collection and its principal to the borrower's, enforcing the ceiling
    /// on the collection's exposure (live debt with the new loan, rounded up, plus the debt frozen in its auctions) and
    /// the per-borrower cap on the borrower's outstanding principal with the new loan.
    function _addCollectionDebt(
        PoolStorage storage $,
        Loan memory loan,
        uint256 index
    ) internal returns (uint32 termsId) {
        CollectionState storage cs = $.collections[loan.collection];
        CollectionRisk memory rk = $.risk[loan.collection];
        termsId = cs.termsId;
        uint256 newScaled = uint256(cs.scaledDebt) + loan.scaledDebt;
        uint256 exposure = newScaled.toDebtUp(index) + rk.auctionDebt;
        uint256 ceiling = cs.debtCeiling;
        if (exposure > ceiling) revert ExceedsDebtCeiling(exposure, ceiling);
        // A stack is sold as one lot: no loan pledges more units than the market is taken to absorb at the price.
        if (rk.maxUnits != 0 && loan.amount > rk.maxUnits) revert ExceedsUnitCap(loan.amount, rk.maxUnits);
        cs.scaledDebt = newScaled.toUint112();
        mapping(address => uint256) storage owed = $.borrowerPrincipal[loan.collection];
        uint256 principal = owed[loan.borrower] + loan.principal;
        if (rk.borrowerCap != 0 && principal > rk.borrowerCap) {
            revert ExceedsBorrowerCap(loan.borrower, principal, rk.borrowerCap);
        }
        owed[loan.borrower] = principal;
    }
}
